"""Deciding what each imported row does, batch by batch, and writing the new customers.

``BatchWriter`` takes a batch of clean rows (``import_clean``), looks their keys up in the
database with one ``WHERE key IN (...)`` query per key, decides per row (create, update, skip,
fail) and, unless it is a dry run, writes: new customers through ``bulk.insert_customers``,
updates through ``import_write``. A key held by a customer outside the importer's data scope
makes the row fail with a message that names neither that customer nor its values.
The kernel's ``SeenKeys`` (re-exported here) remembers the keys of earlier rows on disk (a
scratch SQLite file), so the dry run can name a duplicate of an earlier row without holding a
million keys in memory.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import SeenKeys, hooks, scoped

from . import bulk
from .events import emit
from .import_clean import CleanRow
from .import_write import apply_updates
from .models import Customer, CustomerEmail, CustomerPhone

__all__ = ["BatchOutcome", "BatchWriter", "SeenKeys"]

_TABLE = Customer.__table__


@dataclass
class BatchOutcome:
    """What one batch did (or would do, in a dry run)."""

    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    would_create: int = 0
    skipped: int = 0
    failed: list[CleanRow] = field(default_factory=list)
    warned: list[CleanRow] = field(default_factory=list)


def _lookup(session: Session, key: str, values: Iterable[str]) -> dict[str, int]:
    """Existing customers by import key value (the lowest id when several share a value)."""
    wanted = list(dict.fromkeys(value for value in values if value))
    if not wanted:
        return {}
    if key == "phone":
        query = select(CustomerPhone.number, CustomerPhone.customer_id).join(
            Customer, Customer.id == CustomerPhone.customer_id).where(
            CustomerPhone.number.in_(wanted), Customer.deleted_at.is_(None))
    elif key == "email":
        query = select(CustomerEmail.email, CustomerEmail.customer_id).join(
            Customer, Customer.id == CustomerEmail.customer_id).where(
            CustomerEmail.email.in_(wanted), Customer.deleted_at.is_(None))
    elif key == "name_key":
        # The trash is left out below, not in SQL: beside "deleted_at IS NULL" SQLite without
        # statistics reads the deleted_at index, every customer for each batch.
        query = select(Customer.name_key, Customer.id, Customer.deleted_at).where(
            Customer.name_key.in_(wanted))
    else:
        column = _TABLE.c[key]
        query = select(column, _TABLE.c.id).where(column.in_(wanted))
    found: dict[str, int] = {}
    for value, customer_id, *deleted in session.execute(
            query.order_by(query.selected_columns[1])):
        if not (deleted and deleted[0] is not None):
            found.setdefault(value, customer_id)
    return found


class BatchWriter:
    """Decides and writes batches of clean rows for one import's settings."""

    def __init__(self, session: Session, *, mode: str, key: str | None, import_id: int | None,
                 user_id: int | None, dry_run: bool, seen: SeenKeys | None = None) -> None:
        self.session, self.mode, self.key = session, mode, key
        self.import_id, self.user_id, self.dry_run, self.seen = import_id, user_id, dry_run, seen

    def process(self, rows: list[CleanRow]) -> BatchOutcome:
        """Check the batch against the database (and earlier rows), then write it."""
        outcome = BatchOutcome()
        good = [row for row in rows if not row.errors]
        self._check_keys(good)
        if self.dry_run:  # warnings are for the person checking; the run itself skips them
            self._warn_duplicates(good)
        inserts: list[CleanRow] = []
        updates: list[CleanRow] = []
        for row in rows:
            if row.errors:
                outcome.failed.append(row)
            elif row.target == -1:
                outcome.skipped += 1
            elif row.target is not None:
                updates.append(row)
            else:
                inserts.append(row)
            if row.warnings and not row.errors:
                outcome.warned.append(row)
        if self.dry_run:
            outcome.would_create = len(inserts)
            outcome.updated = self._update(updates)
            outcome.skipped += len(updates) - len(outcome.updated)  # nothing to change
            return outcome
        if inserts:
            outcome.created = bulk.insert_customers(self.session,
                                                    [{**row.defaults, **row.values}
                                                     for row in inserts],
                                                    import_id=self.import_id,
                                                    event="import_create")
            if _listened("customer_created"):
                for customer_id in outcome.created:
                    emit("customer_created", self.session, customer_id=customer_id)
        outcome.updated = self._update(updates)
        outcome.skipped += len(updates) - len(outcome.updated)
        bulk.index_in_search(self.session, outcome.updated)
        return outcome

    # -- deciding ------------------------------------------------------------------------

    def _check_keys(self, rows: list[CleanRow]) -> None:
        by_key = _lookup(self.session, self.key, (row.key_value(self.key) for row in rows)) \
            if self.key else {}
        codes = _lookup(self.session, "code", (row.values.get("code") for row in rows))
        usccs = _lookup(self.session, "uscc", (row.values.get("uscc") for row in rows))
        earlier = self._earlier(rows)
        hidden = self._hidden([*by_key.values(), *codes.values(), *usccs.values()])
        for row in rows:
            value = row.key_value(self.key)
            existing = by_key.get(value) if value else None
            first = earlier.get((self.key, value)) if value else None
            if existing in hidden:  # in every mode: the row may neither change nor skip it
                row.errors.append(_taken_unseen(self.key))
                continue
            if existing is not None or first is not None:
                if self.mode == "insert":
                    where = _("row %(row)d", row=first) if existing is None else None
                    row.errors.append(_("A customer with the %(key)s %(value)s already exists "
                                        "(%(where)s).", key=_key_label(self.key), value=value,
                                        where=where or _("in the CRM")))
                    continue
                if self.mode == "skip":
                    row.target = -1
                    continue
                row.target = existing  # upsert; None: an earlier row of the file creates it
            for column, found in (("code", codes), ("uscc", usccs)):
                own = row.values.get(column)
                other = found.get(own) if own else None
                if other in hidden:
                    row.errors.append(_taken_unseen(column))
                elif other is not None and other != row.target:
                    row.errors.append(_("The %(key)s %(value)s is already used by another "
                                        "customer.", key=_key_label(column), value=own))
                elif own and row.target is None and (column, own) in earlier \
                        and column != self.key:
                    row.errors.append(_("The %(key)s %(value)s is also in row %(row)d.",
                                        key=_key_label(column), value=own,
                                        row=earlier[(column, own)]))
        self._check_scope(rows)

    def _earlier(self, rows: list[CleanRow]) -> dict[tuple[str | None, str], int]:
        """In a dry run: rows of the file before this batch sharing a code, USCC or key."""
        if self.seen is None:
            return {}
        found: dict[tuple[str | None, str], int] = {}
        for kind in {"code", "uscc", self.key} - {None}:
            values = [value for row in rows if (value := _value(row, kind))]
            for value, number in self.seen.earlier(kind, values).items():
                found[(kind, value)] = number
            self.seen.add(kind, [(value, row.row.number) for row in rows
                                 if (value := _value(row, kind))])
        return found

    def _update(self, rows: list[CleanRow]) -> list[int]:
        """Apply the rows' values to their customers; the ids that (would) really change."""
        return apply_updates(self.session, [(row.target, row.values) for row in rows],
                             import_id=self.import_id, dry_run=self.dry_run,
                             listened=_listened)

    def _hidden(self, ids: Iterable[int]) -> set[int]:
        """Those of ``ids`` the importer may not see (none for the command line)."""
        wanted = set(ids)
        if self.user_id is None or not wanted:
            return set()
        query = scoped(select(Customer.id).where(Customer.id.in_(wanted)), Customer,
                       self.user_id)
        return wanted - set(self.session.scalars(query))

    def _check_scope(self, rows: list[CleanRow]) -> None:
        targets = {row.target for row in rows if row.target and row.target > 0}
        if not targets:
            return
        query = select(Customer.id).where(Customer.id.in_(targets),
                                          Customer.deleted_at.is_(None))
        if self.user_id is not None:  # None: the command line, which may change any customer
            query = scoped(query, Customer, self.user_id)
        visible = set(self.session.scalars(query))
        for row in rows:
            if row.target and row.target > 0 and row.target not in visible:
                row.errors.append(_("The matching customer is in the trash: restore it "
                                    "first, or remove this row."))

    def _warn_duplicates(self, rows: list[CleanRow]) -> None:
        checks = (("name_key", _("same name as %(where)s")),
                  ("phone", _("same phone as %(where)s")),
                  ("email", _("same email as %(where)s")))
        for kind, text in checks:
            values = [(row, value) for row in rows for value in _values(row, kind)]
            existing = _lookup(self.session, kind, (value for _row, value in values))
            hidden = self._hidden(existing.values())
            earlier = self.seen.earlier("w" + kind, (v for _r, v in values)) if self.seen else {}
            local: dict[str, int] = {}
            for row, value in values:
                other = existing.get(value)
                if other in hidden:
                    row.warnings.append(text % {"where": _("a customer you cannot see")})
                elif other is not None and other != row.target:
                    row.warnings.append(text % {"where": _("customer %(id)s", id=other)})
                elif value in earlier or local.get(value, row.row.number) != row.row.number:
                    first = earlier.get(value) or local[value]
                    row.warnings.append(text % {"where": _("row %(row)d", row=first)})
                local.setdefault(value, row.row.number)
            if self.seen:
                self.seen.add("w" + kind, [(value, row.row.number) for row, value in values])


def _listened(event: str) -> bool:
    """Whether any plugin listens to ``event`` (checked once a batch, not once a row)."""
    return bool(getattr(hooks(), event).get_hookimpls())


def _taken_unseen(key: str | None) -> str:
    """A key taken by a customer the importer may not see: no id, no name, no value."""
    return _("Duplicate: the %(key)s of this row belongs to a customer you cannot see.",
             key=_key_label(key))


def _key_label(key: str | None) -> str:
    labels = {"code": _("code"), "uscc": _("unified social credit code"),
              "phone": _("phone"), "email": _("email")}
    return labels.get(key or "", key or "")


def _value(row: CleanRow, kind: str | None) -> str | None:
    if kind in ("code", "uscc"):
        return row.values.get(kind) or None
    return row.key_value(kind)


def _values(row: CleanRow, kind: str) -> list[str]:
    if kind == "name_key":
        return [row.values["name_key"]] if row.values.get("name_key") else []
    return list(row.values.get(kind + "s") or [])
