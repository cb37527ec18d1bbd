"""Checking imported rows and writing them batch by batch.

``RowCleaner`` turns one file row into clean customer values (or the reasons it is bad).
``BatchWriter`` takes a batch of clean rows, looks their keys up in the database with one
``WHERE key IN (...)`` query per key, decides per row (create, update, skip, fail) and, unless
it is a dry run, writes: new customers through ``bulk.insert_customers``, updates with Core
statements whose old values go to ``ImportChange`` (for undo). ``SeenKeys`` remembers the
keys of earlier rows on disk (a scratch SQLite file), so the dry run can name a duplicate of
an earlier row without holding a million keys in memory.
"""

from __future__ import annotations

import operator
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from crm_core.toolkit import hooks, scoped, utcnow

from . import bulk
from .events import emit
from .import_files import Row
from .models import (
    Customer,
    CustomerEmail,
    CustomerPhone,
    CustomerTag,
    CustomerType,
    ImportChange,
    Tag,
)
from .names import spell_name
from .validation import (
    _LANDLINE,
    _MOBILE,
    USCC_ALPHABET,
    FieldError,
    normalise_email,
    normalise_phone,
    normalise_uscc,
)

__all__ = ["BatchOutcome", "BatchWriter", "CleanRow", "RowCleaner", "SeenKeys"]

_TABLE = Customer.__table__
_SPLIT = re.compile(r"[,;，；、/\n]+")
_KINDS = {"company": "company", "公司": "company", "企业": "company", "单位": "company",
          "机构": "company", "person": "person", "个人": "person", "individual": "person"}
_TEXT = ("industry", "province", "city", "address", "website", "source", "level", "status")
# Fields stored in child tables or looked up; the rest are customer columns of that name.
_LOOKED_UP = {"customer_type": "customer_type_id", "owner": "owner_id", "tags": "tag_ids"}


def _users_table() -> Any:
    """The kernel's user table, reached through Customer.owner_id's foreign key."""
    (foreign_key,) = _TABLE.c.owner_id.foreign_keys
    return foreign_key.column.table


@dataclass
class CleanRow:
    """A row with its clean values (only the fields the file fills) or its problems."""

    row: Row
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    target: int | None = None  # the existing customer an upsert changes

    def key_value(self, key: str | None) -> str | None:
        """The row's value of the import key (the first phone or email), if any."""
        if key in ("phone", "email"):
            values = self.values.get(key + "s") or []
            return values[0] if values else None
        return self.values.get(key) if key else None


class RowCleaner:
    """Checks and normalises rows for a mapping (one field name, or "", per column)."""

    def __init__(self, session: Session, headers: list[str], fields: list[str], *,
                 owner_id: int | None = None) -> None:
        self.session, self.headers, self.fields = session, headers, fields
        # With each plain text field's length limit: those cells need no more than a check.
        self._mapped = [(index, header, name, _TABLE.c[name].type.length if name in _TEXT
                         else 0)
                        for index, (header, name) in enumerate(zip(headers, fields,
                                                                   strict=False)) if name]
        self.default_owner = owner_id
        self._types: dict[str, int] | None = None
        self._tags: dict[str, int] | None = None
        self._users: dict[str, tuple[int, int | None]] = {}
        self._default_department = self._user(owner_id)[1] if owner_id else None

    def _user(self, key: int | str) -> tuple[int, int | None]:
        cache_key = str(key)
        if cache_key not in self._users:
            users = _users_table()
            column = users.c.id if isinstance(key, int) else users.c.username
            found = self.session.execute(select(users.c.id, users.c.department_id)
                                         .where(column == key)).first()
            if found is None:
                raise FieldError("owner", _("There is no user named %(name)s.", name=key))
            self._users[cache_key] = (found[0], found[1])
        return self._users[cache_key]

    def _type_id_map(self) -> dict[str, int]:
        if self._types is None:
            self._types = {kind.name.casefold(): kind.id
                           for kind in self.session.scalars(select(CustomerType))}
        return self._types

    def _tag_map(self) -> dict[str, int]:
        if self._tags is None:
            self._tags = {tag.name.casefold(): tag.id for tag in self.session.scalars(select(Tag))}
        return self._tags

    def _type_id(self, name: str) -> int:
        found = self._type_id_map().get(name.casefold())
        if found is None:
            raise FieldError("customer_type", _("There is no customer type named %(name)s.",
                                                name=name))
        return found

    def _tag_ids(self, text: str) -> list[int]:
        tags = self._tag_map()
        ids = []
        for name in (part.strip() for part in _SPLIT.split(text)):
            if not name:
                continue
            if name.casefold() not in tags:
                raise FieldError("tags", _("There is no tag named %(name)s; add it first.",
                                           name=name))
            ids.append(tags[name.casefold()])
        return list(dict.fromkeys(ids))

    def clean(self, row: Row) -> CleanRow:
        """The row's clean values, or every problem found, each naming its column."""
        result = CleanRow(row)
        cells, values = row.cells, result.values
        named = False
        for index, header, name, limit in self._mapped:
            cell = cells[index]
            if not cell:
                continue
            if limit and len(cell) <= limit:
                values[name] = cell.strip()
                continue
            named = named or name == "name"
            try:
                self._clean_field(values, name, cell)
            except FieldError as exc:
                result.errors.append(f"{header}: {exc}")
        if not named:
            result.errors.insert(0, _("A customer needs a name."))
        if "owner_id" not in result.values and self.default_owner is not None:
            result.values["owner_id"] = self.default_owner
            result.values["department_id"] = self._default_department
        return result

    def _clean_field(self, values: dict[str, Any], name: str, cell: str) -> None:
        if name == "name":
            text = " ".join(cell.split())
            if len(text) > 200:
                raise FieldError(name, _("A customer name has at most %(max)d characters.",
                                         max=200))
            values["name"] = text
            # The name's syllables go along for its search document (bulk.insert_customers).
            values["name_key"], values["pinyin_key"], values["name_syllables"] = \
                spell_name(text)
        elif name == "code":
            code = cell.strip().upper()
            if len(code) > 40:
                raise FieldError(name, _("A customer code has at most %(max)d characters.",
                                         max=40))
            values["code"] = code
        elif name == "kind":
            kind = _KINDS.get(cell.strip().casefold())
            if kind is None:
                raise FieldError(name, _("Write company (公司) or person (个人), not "
                                         "\"%(value)s\".", value=cell))
            values["kind"] = kind
        elif name in ("phones", "emails"):
            check = _phone if name == "phones" else normalise_email
            found = values.setdefault(name, [])
            for part in _SPLIT.split(cell):
                if part := part.strip():
                    value = check(part, name)
                    if value not in found:
                        found.append(value)
        elif name == "uscc":
            values["uscc"] = _uscc(cell)
        elif name == "country":
            country = cell.strip().upper()
            if len(country) != 2 or not country.isalpha():
                raise FieldError(name, _("Enter the country as its two-letter code, such as CN "
                                         "or US."))
            values["country"] = country
        elif name == "customer_type":
            values["customer_type_id"] = self._type_id(cell.strip())
        elif name == "owner":
            values["owner_id"], values["department_id"] = self._user(cell.strip())
        elif name == "tags":
            values["tag_ids"] = list(dict.fromkeys([*values.get("tag_ids", []),
                                                    *self._tag_ids(cell)]))
        elif name == "notes":
            values["notes"] = "\n".join(filter(None, [values.get("notes", ""), cell.strip()]))
        elif name in _TEXT:
            limit = _TABLE.c[name].type.length
            if len(cell) > limit:
                raise FieldError(name, _("At most %(max)d characters.", max=limit))
            values[name] = cell.strip()


def _phone(text: str, field: str) -> str:
    """``normalise_phone``, with a shortcut for a mobile or landline typed as bare ASCII
    digits (most cells of a real file), which it would store as +86 and those digits."""
    if text.isascii() and text.isdigit():
        if _MOBILE.fullmatch(text):
            return "+86" + text
        if _LANDLINE.fullmatch(text):
            return "+86" + text[1:]
    return normalise_phone(text, field)


_USCC_CHAR = "[0-9A-HJ-NP-RTUWXY]"  # validation.USCC_ALPHABET
_PLAIN_USCC = re.compile(f"{_USCC_CHAR}{{2}}[0-9]{{6}}{_USCC_CHAR}{{10}}")
_USCC_VALUES = {char: value for value, char in enumerate(USCC_ALPHABET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def _uscc(text: str) -> str:
    """``normalise_uscc``, with a shortcut for a code typed as it is stored (upper case, no
    spaces) whose check character is right: the cell itself."""
    if len(text) == 18 and _PLAIN_USCC.fullmatch(text):
        total = sum(map(operator.mul, map(_USCC_VALUES.__getitem__, text[:17]), _USCC_WEIGHTS))
        if USCC_ALPHABET[(31 - total % 31) % 31] == text[17]:
            return text
    return normalise_uscc(text)


class SeenKeys:
    """The keys of rows already checked, in a scratch SQLite file (flat memory at any size).

    ``earlier(kind, values)`` names the first row that had each value; ``add`` records rows.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.db = sqlite3.connect(self.path)
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute("CREATE TABLE IF NOT EXISTS seen (kind TEXT, value TEXT, row INTEGER, "
                        "PRIMARY KEY (kind, value)) WITHOUT ROWID")

    def earlier(self, kind: str, values: Iterable[str]) -> dict[str, int]:
        """For each of ``values`` already seen: the row number where it was first seen."""
        wanted = list(dict.fromkeys(values))
        found: dict[str, int] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            marks = ",".join("?" * len(chunk))
            found.update(self.db.execute(
                f"SELECT value, row FROM seen WHERE kind = ? AND value IN ({marks})",  # noqa: S608
                [kind, *chunk]))
        return found

    def add(self, kind: str, pairs: Iterable[tuple[str, int]]) -> None:
        """Remember ``(value, row number)`` pairs; the first row of a value wins."""
        self.db.executemany("INSERT OR IGNORE INTO seen VALUES (?, ?, ?)",
                            ((kind, value, number) for value, number in pairs))

    def close(self) -> None:
        """Close and delete the scratch file."""
        self.db.close()
        self.path.unlink(missing_ok=True)


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
                                                    [row.values for row in inserts],
                                                    import_id=self.import_id)
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
        for row in rows:
            value = row.key_value(self.key)
            existing = by_key.get(value) if value else None
            first = earlier.get((self.key, value)) if value else None
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
                if other is not None and other != row.target:
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
                row.errors.append(_("The matching customer is in the trash or belongs to "
                                    "someone else: you may not change it."))

    def _warn_duplicates(self, rows: list[CleanRow]) -> None:
        checks = (("name_key", _("same name as %(where)s")),
                  ("phone", _("same phone as %(where)s")),
                  ("email", _("same email as %(where)s")))
        for kind, text in checks:
            values = [(row, value) for row in rows for value in _values(row, kind)]
            existing = _lookup(self.session, kind, (value for _row, value in values))
            earlier = self.seen.earlier("w" + kind, (v for _r, v in values)) if self.seen else {}
            local: dict[str, int] = {}
            for row, value in values:
                other = existing.get(value)
                if other is not None and other != row.target:
                    row.warnings.append(text % {"where": _("customer %(id)s", id=other)})
                elif value in earlier or local.get(value, row.row.number) != row.row.number:
                    first = earlier.get(value) or local[value]
                    row.warnings.append(text % {"where": _("row %(row)d", row=first)})
                local.setdefault(value, row.row.number)
            if self.seen:
                self.seen.add("w" + kind, [(value, row.row.number) for row, value in values])

    # -- writing -------------------------------------------------------------------------

    def _update(self, rows: list[CleanRow]) -> list[int]:
        """Apply the rows' values to their customers; returns the ids that really changed
        (in a dry run: would change)."""
        if not rows:
            return []
        ids = [row.target for row in rows]
        current = {values["id"]: dict(values) for values in self.session.execute(
            select(_TABLE).where(_TABLE.c.id.in_(ids))).mappings()}
        for child, column, name in ((CustomerPhone, "number", "phones"),
                                    (CustomerEmail, "email", "emails")):
            for customer_id, value in self.session.execute(
                    select(child.customer_id, getattr(child, column))
                    .where(child.customer_id.in_(ids)).order_by(child.position)):
                current[customer_id].setdefault(name, []).append(value)
        for customer_id, tag_id in self.session.execute(
                select(CustomerTag.customer_id, CustomerTag.tag_id)
                .where(CustomerTag.customer_id.in_(ids)).order_by(CustomerTag.tag_id)):
            current[customer_id].setdefault("tag_ids", []).append(tag_id)
        changed_ids: list[int] = []
        connection = self.session.connection()
        now = utcnow()
        for row in rows:
            before = current[row.target]
            old, new = _diff(before, row.values)
            if not new:
                continue
            customer_id = row.target
            if self.dry_run:
                changed_ids.append(customer_id)
                continue
            columns = {key: value for key, value in new.items()
                       if key not in ("phones", "emails", "tag_ids")}
            connection.execute(update(_TABLE).where(_TABLE.c.id == customer_id)
                               .values(**columns, updated_at=now))
            _replace_children(connection, customer_id, new)
            connection.execute(insert(ImportChange.__table__).values(
                import_id=self.import_id, customer_id=customer_id, old_values=old))
            changed = sorted(key for key in new if key not in ("name_key", "pinyin_key"))
            emit("customer_updated", self.session, customer_id=customer_id,
                 changed=["tags" if key == "tag_ids" else key for key in changed])
            changed_ids.append(customer_id)
        return changed_ids


def _listened(event: str) -> bool:
    """Whether any plugin listens to ``event`` (checked once a batch, not once a row)."""
    return bool(getattr(hooks(), event).get_hookimpls())


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


def _diff(before: dict[str, Any], values: dict[str, Any]) -> tuple[dict[str, Any],
                                                                   dict[str, Any]]:
    """``(old values, new values)`` of the fields the row changes (tags are only added)."""
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    for key, value in values.items():
        if key == "name_syllables":
            continue
        if key == "tag_ids":
            have = before.get("tag_ids") or []
            added = [tag for tag in value if tag not in have]
            if added:
                old[key], new[key] = have, [*have, *added]
        elif key in ("phones", "emails"):
            if value and value != (before.get(key) or []):
                old[key], new[key] = before.get(key) or [], value
        elif value not in (None, "") and before.get(key) != value:
            old[key], new[key] = before.get(key), value
    return old, new


def _replace_children(connection: Any, customer_id: int, values: dict[str, Any]) -> None:
    """Put the phones, emails and tags of ``values`` (those present) on the customer."""
    for name, child, column in (("phones", CustomerPhone, "number"),
                                ("emails", CustomerEmail, "email")):
        if name in values:
            connection.execute(delete(child.__table__).where(
                child.__table__.c.customer_id == customer_id))
            if values[name]:
                connection.execute(insert(child.__table__), [
                    {"customer_id": customer_id, column: value, "position": position}
                    for position, value in enumerate(values[name])])
    if "tag_ids" in values:
        connection.execute(delete(CustomerTag.__table__).where(
            CustomerTag.__table__.c.customer_id == customer_id))
        if values["tag_ids"]:
            connection.execute(insert(CustomerTag.__table__), [
                {"customer_id": customer_id, "tag_id": tag_id} for tag_id in values["tag_ids"]])


def restore_values(connection: Any, customer_id: int, old: dict[str, Any]) -> None:
    """Put back the values an upsert overwrote (undo)."""
    columns = {key: value for key, value in old.items()
               if key not in ("phones", "emails", "tag_ids")}
    if columns:
        connection.execute(update(_TABLE).where(_TABLE.c.id == customer_id)
                           .values(**columns, updated_at=utcnow()))
    _replace_children(connection, customer_id, old)
