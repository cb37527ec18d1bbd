"""Deciding what each imported row does, batch by batch, and writing the customers: the
customer spec's ``check`` and ``write`` on the kernel's import.

``check_batch`` looks a batch's keys up in the database with one ``WHERE key IN (...)``
query per key and decides per row (create, update, skip, fail): code and USCC must stay
unique, a customer in the trash is not updated, and in the check step likely duplicates
(same name, phone or email) are warnings. A key held by a customer outside the importer's
data scope makes the row fail with a message that names neither that customer nor its
values. The kernel's ``SeenKeys`` (``BatchCheck.seen``) remembers the keys of earlier rows on
disk, so the check can name a duplicate of an earlier row in flat memory.
``write_batch`` writes new customers through ``bulk.insert_customers`` and updates through
``import_write``, with their search documents, events and one ``import`` log entry a batch.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from crm_core.toolkit import (
    SKIP,
    BatchCheck,
    CleanRow,
    WriteBatch,
    WriteResult,
    hooks,
    record_event,
    scoped,
    stored_time,
)

from ..classification.services import count_new_into_stats, last_refreshed, refresh_stats
from ..events import emit
from ..models import Customer, CustomerEmail, CustomerPhone
from ..records import bulk
from ..records.search_index import index_customers
from .write import apply_updates, current_values, diff_values

__all__ = ["after_run", "check_batch", "write_batch"]

_TABLE = Customer.__table__
IMPORT_TABLE = "core_import"  # the kernel's import records, named in the operation log
# session.info: the imports this session's writing passes wrote to, and whether they updated
# customers; ``after_run`` (which the kernel calls with the session only) reads it
_WRITTEN = "customers_import_written"


# One parameter for the batch's values: an IN of literals would coerce each of them anew.
_WANTED = bindparam("wanted", expanding=True)


def _lookup(session: Session, key: str, values: Iterable[str]) -> dict[str, int]:
    """Existing customers by import key value (the lowest id when several share a value)."""
    wanted = list(dict.fromkeys(value for value in values if value))
    if not wanted:
        return {}
    if key == "phone":
        query = select(CustomerPhone.number, CustomerPhone.customer_id).join(
            Customer, Customer.id == CustomerPhone.customer_id).where(
            CustomerPhone.number.in_(_WANTED), Customer.deleted_at.is_(None))
    elif key == "email":
        query = select(CustomerEmail.email, CustomerEmail.customer_id).join(
            Customer, Customer.id == CustomerEmail.customer_id).where(
            CustomerEmail.email.in_(_WANTED), Customer.deleted_at.is_(None))
    elif key == "name_key":
        # The trash is left out below, not in SQL: beside "deleted_at IS NULL" SQLite without
        # statistics reads the deleted_at index, every customer for each batch.
        query = select(Customer.name_key, Customer.id, Customer.deleted_at).where(
            Customer.name_key.in_(_WANTED))
    else:
        column = _TABLE.c[key]
        query = select(column, _TABLE.c.id).where(column.in_(_WANTED))
    found: dict[str, int] = {}
    for value, customer_id, *deleted in session.execute(
            query.order_by(query.selected_columns[1]), {"wanted": wanted}):
        if not (deleted and deleted[0] is not None):
            found.setdefault(value, customer_id)
    return found


def check_batch(batch: BatchCheck) -> None:
    """Decide each good row of the batch: its target (None create, an id update, ``SKIP``),
    or its errors; in the check step also the likely duplicates (warnings) and, for an
    update, whether it changes anything (nothing: skipped)."""
    rows = [row for row in batch.rows if not row.errors]
    _Check(batch).keys(rows)
    if batch.dry_run:  # warnings are for the person checking; the run itself skips them
        _Check(batch).warn_duplicates([row for row in rows if not row.errors])
        _skip_unchanged(batch.session, [row for row in rows if not row.errors
                                        and row.target not in (None, SKIP)])


def _skip_unchanged(session: Session, rows: list[CleanRow]) -> None:
    """In the check: an update that would change nothing counts as skipped, as in the run."""
    if not rows:
        return
    current = current_values(session, list({row.target for row in rows}))
    for row in rows:
        if not diff_values(current[row.target], row.values)[1]:
            row.target = SKIP


def write_batch(batch: WriteBatch) -> WriteResult:
    """Insert the new customers (with their search documents and ``customer_created``) and
    apply the updates (``customer_updated``); one ``import`` entry in the log a batch."""
    session = batch.session
    bulk.set_loading(session)  # again each batch: a commit may hand the connection back
    result = WriteResult()
    if batch.inserts:
        result.created = bulk.insert_customers(session, batch.inserts,
                                               import_id=batch.import_id,
                                               event="import_create")
        if _listened("customer_created"):
            for customer_id in result.created:
                emit("customer_created", session, customer_id=customer_id)
    result.updated = apply_updates(session, batch.updates, import_id=batch.import_id,
                                   listened=_listened)
    written = session.info.setdefault(_WRITTEN, {"imports": set(), "updated": False})
    written["imports"].add(batch.import_id)
    written["updated"] = written["updated"] or bool(batch.updates)
    index_customers(session, list(result.updated))
    record_event("import", _l("Import %(id)s: batch of %(count)d rows", id=batch.import_id,
                              count=len(batch.inserts) + len(batch.updates)), model=IMPORT_TABLE,
                 record_id=batch.import_id, session=session,
                 changes={"created": len(result.created), "updated": len(result.updated),
                          "skipped": len(batch.updates) - len(result.updated)})
    return result


def after_run(session: Session) -> None:
    """After a writing pass: the loading settings off, the planner's statistics and the
    dashboard's counts refreshed."""
    bulk.set_loading(session, on=False)
    bulk.analyze(session)  # the planner must learn the tables' new sizes
    session.commit()
    written = session.info.pop(_WRITTEN, None)
    if written and not written["updated"] and _count_only_new(session, written["imports"]):
        count_new_into_stats(session, Customer.import_id.in_(sorted(written["imports"])))
    else:
        refresh_stats(session)


def _count_only_new(session: Session, imports: set[int]) -> bool:
    """Whether the dashboard's counts can take the customers of ``imports`` as an addition:
    they are fewer than the rest, and no refresh can have counted any of them already (the
    last one was before the first of them was written). Else everything is counted again."""
    imported = Customer.import_id.in_(sorted(imports))
    count, first = session.execute(select(func.count(), func.min(Customer.created_at))
                                   .where(imported)).one()
    refreshed = last_refreshed(session)
    if not count or first is None or refreshed is None:
        return False
    first = stored_time(first)
    total = session.scalar(select(func.count()).select_from(Customer)) or 0
    return refreshed < first and 2 * count < total


def _key_value(row: CleanRow, key: str | None) -> Any:
    """The row's value of the import key (the first phone or email), if any."""
    if key in ("phone", "email"):
        values = row.values.get(key + "s") or []
        return values[0] if values else None
    return row.values.get(key) if key else None


class _Check:
    """The checks of one batch for one import's settings."""

    def __init__(self, batch: BatchCheck) -> None:
        self.session, self.mode, self.key = batch.session, batch.mode, batch.key
        self.user_id, self.seen = batch.user_id, batch.seen

    def keys(self, rows: list[CleanRow]) -> None:
        by_key = _lookup(self.session, self.key, (_key_value(row, self.key) for row in rows)) \
            if self.key else {}
        codes = _lookup(self.session, "code", (row.values.get("code") for row in rows))
        usccs = _lookup(self.session, "uscc", (row.values.get("uscc") for row in rows))
        earlier = self._earlier(rows)
        hidden = self._hidden([*by_key.values(), *codes.values(), *usccs.values()])
        for row in rows:
            value = _key_value(row, self.key)
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
                    row.target = SKIP
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

    def _hidden(self, ids: Iterable[int]) -> set[int]:
        """Those of ``ids`` the importer may not see (none for the command line)."""
        wanted = set(ids)
        if self.user_id is None or not wanted:
            return set()
        query = scoped(select(Customer.id).where(Customer.id.in_(wanted)), Customer,
                       self.user_id)
        return wanted - set(self.session.scalars(query))

    def _check_scope(self, rows: list[CleanRow]) -> None:
        targets = {row.target for row in rows if _updates(row)}
        if not targets:
            return
        query = select(Customer.id).where(Customer.id.in_(targets),
                                          Customer.deleted_at.is_(None))
        if self.user_id is not None:  # None: the command line, which may change any customer
            query = scoped(query, Customer, self.user_id)
        visible = set(self.session.scalars(query))
        for row in rows:
            if _updates(row) and row.target not in visible:
                row.errors.append(_("The matching customer is in the trash: restore it "
                                    "first, or remove this row."))

    def warn_duplicates(self, rows: list[CleanRow]) -> None:
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


def _updates(row: CleanRow) -> bool:
    return not row.errors and row.target is not None and row.target is not SKIP


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
    return _key_value(row, kind)


def _values(row: CleanRow, kind: str) -> list[str]:
    if kind == "name_key":
        return [row.values["name_key"]] if row.values.get("name_key") else []
    return list(row.values.get(kind + "s") or [])
