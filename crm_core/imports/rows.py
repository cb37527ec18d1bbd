"""One row's clean values, and a batch's relations and keys checked against the database.

``Cleaner`` turns a row's cells into the spec's field values (each field's cleaner, length
cap, required fields) and collects the names a relation column gives. ``resolve_relations``
turns those names into ids for a batch (creating the missing ones when the user chose to;
in a check, only noting them). ``check_keys`` decides for each row of a batch whether it
creates, updates or skips a record, or is bad (insert mode and the key exists; the key
belongs to a record the importer may not see).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from ..rbac.scope import scoped
from ..tabular import Row
from .spec import CellError, ImportSpec

__all__ = ["SKIP", "CleanRow", "Cleaner", "NewValues", "check_keys", "resolve_relations"]

SKIP = object()  # a row's target when skip mode leaves its record alone
_SPLIT = re.compile(r"\s*[,;，；、]\s*")
NEW_NAMES_KEPT = 20  # new relation names listed on the check page, per field


@dataclass
class CleanRow:
    """A row's clean ``values`` (by field), its ``errors``, the relation ``names`` it gives
    and its ``target``: None (create), a record id (update) or ``SKIP``. ``warnings`` are
    listed at the check but do not stop the row; ``defaults`` only a new record gets."""

    row: Row
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    names: dict[str, list[str]] = field(default_factory=dict)
    target: Any = None
    warnings: list[str] = field(default_factory=list)
    defaults: dict[str, Any] = field(default_factory=dict)


class Cleaner:
    """Cleans rows of one file for ``spec`` with the columns mapped to ``fields``."""

    def __init__(self, spec: ImportSpec, headers: Sequence[str], fields: Sequence[str]) -> None:
        self.columns = [(index, headers[index] or str(item.label), item)
                        for index, name in enumerate(fields)
                        if name and (item := spec.field(name)) is not None]
        self.required = [item for item in spec.fields if item.required]

    def clean(self, row: Row) -> CleanRow:
        """The row's values and errors (messages name the column and say why)."""
        out = CleanRow(row)
        values, cells = out.values, row.cells
        for index, header, item in self.columns:
            text = cells[index].strip() if index < len(cells) else ""
            if not text:
                continue
            if len(text) > item.max_length:
                out.errors.append(_("%(column)s: longer than %(max)d characters.",
                                    column=header, max=item.max_length))
                continue
            if item.relation is not None:
                parts = _SPLIT.split(text) if item.relation.many else [text]
                out.names.setdefault(item.name, []).extend(part for part in parts if part)
                continue
            try:
                value = item.clean(text) if item.clean is not None else text
            except CellError as exc:
                out.errors.append(f"{header}: {exc}")
                continue
            if item.multiple:
                values.setdefault(item.name, []).append(value)
            else:
                values[item.name] = value
        for item in self.required:
            if item.name not in values and item.name not in out.names:
                out.errors.append(_("%(field)s is required.", field=str(item.label)))
        return out


class NewValues:
    """Relation names a check found missing (would be created), per field: a count and the
    first ``NEW_NAMES_KEPT`` names, as the check page lists them."""

    def __init__(self) -> None:
        self.names: dict[str, dict[str, None]] = {}
        self.counts: dict[str, int] = {}

    def add(self, name: str, values: list[str]) -> None:
        """Note ``values`` of relation field ``name`` as missing."""
        kept = self.names.setdefault(name, {})
        for value in values:
            if value in kept:
                continue
            self.counts[name] = self.counts.get(name, 0) + 1
            if len(kept) < NEW_NAMES_KEPT * 50:  # enough to tell repeats apart, bounded
                kept[value] = None

    def as_json(self) -> dict[str, Any]:
        """``{field: {"count": n, "names": [first names]}}``."""
        return {name: {"count": self.counts.get(name, 0),
                       "names": list(kept)[:NEW_NAMES_KEPT]}
                for name, kept in self.names.items() if self.counts.get(name)}


def resolve_relations(session: Session, spec: ImportSpec, rows: list[CleanRow], *,
                      create_missing: bool, dry_run: bool, new: NewValues) -> None:
    """Put the ids of the names each row gives in its values; missing names are created
    (``create_missing`` and the relation can create; in a dry run only noted in ``new``),
    or make the row bad."""
    for item in spec.fields:
        relation = item.relation
        if relation is None:
            continue
        wanted = list(dict.fromkeys(name for row in rows if not row.errors
                                    for name in row.names.get(item.name, ())))
        if not wanted:
            continue
        found = dict(relation.find(session, wanted))
        missing = [name for name in wanted if name not in found]
        creating = bool(missing) and create_missing and relation.create is not None
        if creating and dry_run:
            new.add(item.name, missing)
        elif creating:
            found.update(relation.create(session, missing))
        for row in rows:
            names = row.names.get(item.name)
            if not names or row.errors:
                continue
            unknown = [name for name in names if name not in found]
            if unknown and not (creating and dry_run):
                row.errors.append(_("Unknown %(noun)s: %(names)s.",
                                    noun=str(relation.noun or item.label),
                                    names=", ".join(unknown)))
                continue
            ids = [found.get(name) for name in dict.fromkeys(names)]
            row.values[relation.store_as or item.name] = ids if relation.many else ids[0]


def _primary_key(model: type) -> Any:
    return inspect(model).primary_key[0]


def default_find(spec: ImportSpec, session: Session, key: str, values: list[Any]
                 ) -> dict[Any, Any]:
    """Existing records of ``spec.model`` by the column named ``key`` (lowest id first)."""
    column, pk = getattr(spec.model, key), _primary_key(spec.model)
    found: dict[Any, Any] = {}
    for value, record_id in session.execute(
            select(column, pk).where(column.in_(values)).order_by(pk)):
        found.setdefault(value, record_id)
    return found


def _hidden(session: Session, spec: ImportSpec, ids: set[Any], user_id: int | None) -> set[Any]:
    if user_id is None or not ids:
        return set()
    pk = _primary_key(spec.model)
    return ids - set(session.scalars(scoped(select(pk).where(pk.in_(ids)), spec.model,
                                            user_id)))


def check_keys(session: Session, spec: ImportSpec, rows: list[CleanRow], *, mode: str,
               key: str | None, user_id: int | None, earlier: dict[Any, int]) -> None:
    """Set each good row's target, or its error: insert mode with an existing key (in the
    database or an ``earlier`` row of the file), a key of a record the importer may not
    see (in every mode, without naming that record)."""
    if not key:
        return
    good = [row for row in rows if not row.errors
            and spec.key_value(row.values, key) not in (None, "")]
    wanted = list(dict.fromkeys(spec.key_value(row.values, key) for row in good))
    if not wanted:
        return
    find = spec.find or (lambda s, k, v: default_find(spec, s, k, v))
    existing = find(session, key, wanted)
    hidden = _hidden(session, spec, set(existing.values()), user_id)
    label = str(spec.key_field(key).label) if spec.key_field(key) else key
    for row in good:
        value = spec.key_value(row.values, key)
        record, first = existing.get(value), earlier.get(value)
        if first is not None and first >= row.row.number:
            first = None  # the row itself is the first with this key
        if record is not None and record in hidden:
            row.errors.append(_("Duplicate: the %(key)s of this row belongs to a record you "
                                "cannot see.", key=label))
        elif record is None and first is None:
            continue
        elif mode == "insert":
            where = _("in the CRM") if record is not None else _("row %(row)d", row=first)
            row.errors.append(_("A record with the %(key)s %(value)s already exists "
                                "(%(where)s).", key=label, value=value, where=where))
        elif mode == "skip":
            row.target = SKIP
        else:
            row.target = record
