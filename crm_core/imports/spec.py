"""What a plugin declares to get imports of its records: an ``ImportSpec``.

A spec names the records (``id`` such as ``"example.note"``, the permission
``<plugin>.<thing>.import``), its fields (labels, header spellings in Chinese and English, a
cleaner, required), the fields that can find an existing record (``keys``), and a writer
that writes a batch of clean rows. The kernel does the rest: the wizard pages, the jobs, the
command line, the checks, the bad-rows file and undo. Frozen dataclasses: a spec is a
declaration that other parts (the resources) may hold and read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

__all__ = ["MODES", "CellError", "ImportField", "ImportSpec", "Relation", "UndoResult",
           "WriteBatch", "WriteResult"]

MODES = ("insert", "upsert", "skip")


class CellError(ValueError):
    """Raised by a field's cleaner: the cell is bad, and the message says why to the user."""


@dataclass(frozen=True)
class Relation:
    """A column that names related records (a type, tags) by name.

    ``find(session, names)`` returns ``{name: id}`` for the names that exist; ``create
    (session, names)`` creates the missing ones and returns theirs (None: they cannot be
    created, a missing name is a bad cell). ``many``: a cell holds several names separated
    by ``,`` ``;`` ``，`` ``；`` or ``、``. ``noun`` names them in messages ("tags").
    """

    find: Callable[[Session, list[str]], dict[str, Any]]
    create: Callable[[Session, list[str]], dict[str, Any]] | None = None
    many: bool = False
    noun: Any = ""


@dataclass(frozen=True)
class ImportField:
    """One field a column may fill.

    ``label`` is shown on the mapping page (a lazy translatable string); ``aliases`` are the
    header spellings that map to it, in any language ("客户名称", "customer"), compared
    without width, case, spaces or punctuation (the name and the label count too).
    ``clean(text) -> value`` turns a non-empty cell into the stored value or raises
    ``CellError``; ``required``: a row without it is bad; ``multiple``: several columns may
    fill it (their values make a list); ``relation``: the cell names related records, and
    the clean value is their id (a list of ids when ``relation.many``).
    """

    name: str
    label: Any
    aliases: Sequence[str] = ()
    clean: Callable[[str], Any] | None = None
    required: bool = False
    multiple: bool = False
    relation: Relation | None = None
    max_length: int = 1000


@dataclass
class WriteBatch:
    """What a writer gets: ``inserts`` (clean values of new records) and ``updates``
    (``(record id, clean values of the filled-in cells)``), for import ``import_id`` run by
    ``user_id`` (None: the command line)."""

    session: Session
    inserts: list[dict[str, Any]]
    updates: list[tuple[Any, dict[str, Any]]]
    import_id: int
    user_id: int | None


@dataclass
class WriteResult:
    """What a writer did: the ids it ``created`` (in the order of the inserts) and, per
    updated record, ``{id: (old values, new values)}`` of the fields that really changed
    (an update that changes nothing is left out: it counts as skipped)."""

    created: list[Any] = field(default_factory=list)
    updated: dict[Any, tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=dict)


@dataclass
class UndoResult:
    """What an undo did: records ``removed``, records ``restored``, and ``skipped`` ones
    (changed since the import, or outside the undoer's scope)."""

    removed: int = 0
    restored: int = 0
    skipped: int = 0


@dataclass(frozen=True)
class ImportSpec:
    """A plugin's declaration of importable records (returned by ``crm_import_specs``).

    - ``id``: ``"<plugin>.<thing>"``; ``permission`` defaults to ``"<id>.import"``.
    - ``model``: the records' model class: existing records are found among those the
      importing user may see (its ``__data_scope__``); a key held by a record outside the
      scope makes the row bad, without naming that record.
    - ``fields``; ``keys``: names of fields that can find an existing record (upsert, skip).
    - ``write(batch) -> WriteResult``: writes a batch of clean rows (default:
      ``table_writer(model)``, Core writes through ``bulk_write``).
    - ``undo(session, created, updated, user_id) -> UndoResult``: takes an import back;
      ``created`` are ids, ``updated`` ``{id: (old, new)}`` (default: ``table_undo(model)``).
    - ``find(session, key, values) -> {value: id}``: existing records by key (default:
      the key's column of ``model``, scoped lookups done by the kernel).
    - ``defaults(user_id) -> dict``: values every new record gets (an owner).
    - ``title``: shown on the pages ("Notes"); ``list_endpoint``: where "back" goes.
    - ``export(session, user_id) -> (headers, batches of rows of text)``: what an export
      writes (default: the fields that are not relations, read by keyset in the user's
      scope); ``export_permission`` defaults to ``"<id>.export"``.
    """

    id: str
    title: Any
    model: type
    fields: Sequence[ImportField]
    keys: Sequence[str] = ()
    write: Callable[[WriteBatch], WriteResult] | None = None
    undo: Callable[..., UndoResult] | None = None
    find: Callable[[Session, str, list[Any]], dict[Any, Any]] | None = None
    defaults: Callable[[int | None], dict[str, Any]] | None = None
    permission: str = ""
    list_endpoint: str = ""
    export: Callable[[Session, int | None], tuple[Sequence[str], Any]] | None = None
    export_permission: str = ""

    @property
    def plugin(self) -> str:
        """The plugin part of ``id``."""
        return self.id.split(".", 1)[0]

    @property
    def import_permission(self) -> str:
        """The permission the wizard and its files need."""
        return self.permission or f"{self.id}.import"

    @property
    def export_permission_name(self) -> str:
        """The permission an export of these records needs."""
        return self.export_permission or f"{self.id}.export"

    def field(self, name: str) -> ImportField | None:
        """The field called ``name``, or None."""
        return next((item for item in self.fields if item.name == name), None)
