"""What a plugin declares to get imports of its records: an ``ImportSpec``.

A spec names the records (``id`` such as ``"example.note"``, the permission
``<plugin>.<thing>.import``), its fields (labels, header spellings in Chinese and English, a
cleaner, required), the fields that can find an existing record (``keys``), and a writer
that writes a batch of clean rows. The kernel does the rest: the wizard pages, the jobs, the
command line, the checks, the bad-rows file and undo. Frozen dataclasses: a spec is a
declaration that other parts (the resources) may hold and read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

__all__ = ["MODES", "BatchCheck", "CellError", "ImportField", "ImportSpec", "Relation",
           "UndoResult", "WriteBatch", "WriteResult", "option_values"]

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
    ``store_as``: the key the ids go under in the clean values (default: the field's name),
    such as ``"tag_ids"``.
    """

    find: Callable[[Session, list[str]], dict[str, Any]]
    create: Callable[[Session, list[str]], dict[str, Any]] | None = None
    many: bool = False
    noun: Any = ""
    store_as: str = ""


@dataclass(frozen=True)
class ImportField:
    """One field a column may fill.

    ``label`` is shown on the mapping page (a lazy translatable string); ``aliases`` are the
    header spellings that map to it, in any language ("客户名称", "customer"), compared
    without width, case, spaces or punctuation (the name and the label count too).
    ``clean(text) -> value`` turns a non-empty cell into the stored value or raises
    ``CellError``; ``required``: a row without it is bad; ``multiple``: several columns may
    fill it (their values make a list); ``relation``: the cell names related records, and
    the clean value is their id (a list of ids when ``relation.many``). ``key_name``: the
    name the field goes by as an import key when that differs (``"phone"`` for a
    ``"phones"`` field: a row's first value is its key).
    """

    name: str
    label: Any
    aliases: Sequence[str] = ()
    clean: Callable[[str], Any] | None = None
    required: bool = False
    multiple: bool = False
    relation: Relation | None = None
    max_length: int = 1000
    key_name: str = ""


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
    message: str = ""  # shown on the import's page (default: the counts)
    # what it left alone and why: (record id or "", name or "", reason); never name a
    # record the undoer may not see
    left: list[tuple[Any, str, str]] = field(default_factory=list)


@dataclass
class BatchCheck:
    """What a spec's ``check`` gets for each batch: the ``rows`` (clean, relations resolved),
    the import's ``mode`` and ``key``, the importer ``user_id`` (None: the command line),
    ``dry_run`` (the check step) and, in a dry run, ``seen``: a ``SeenKeys`` of the rows of
    the file before this batch (``seen.earlier(kind, values)``, ``seen.add(kind, pairs)``)."""

    session: Session
    rows: list[Any]
    mode: str
    key: str | None
    user_id: int | None
    dry_run: bool
    seen: Any = None
    import_id: int | None = None


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
    - ``undo(session, created, updated, user_id, imp=…) -> UndoResult``: takes an import
      back; ``created`` are ids, ``updated`` ``{id: (old, new)}``, ``imp`` the import's
      record to read (its id, ``finished_at``, counts) (default: ``table_undo(model)``).
    - ``find(session, key, values) -> {value: id}``: existing records by key (default:
      the key's column of ``model``, scoped lookups done by the kernel).
    - ``defaults(user_id) -> dict``: values every new record gets (an owner).
    - ``title``: shown on the pages ("Notes"); ``list_endpoint``: where "back" goes;
      ``list_import_arg``: the list's query argument that narrows it to the records an
      import created (``"import_id"``): the result page links there.
    - ``export(session, user_id) -> (headers, batches of rows of text)``: what an export
      writes (default: the fields that are not relations, read by keyset in the user's
      scope); ``export_permission`` defaults to ``"<id>.export"``.

    Extension points for records with more rules than one table (all optional):

    - ``cleaner(session, headers, fields, *, user_id, create_missing, dry_run)``: an object
      whose ``clean(row)`` gives a ``CleanRow`` (values, errors, ``warnings``, ``defaults``
      that only a new record gets, relation ``names``), replacing the per-field cleaning.
    - ``check(BatchCheck)``: decides each row of a batch itself (sets ``row.target``:
      None create, an id update, ``SKIP``; adds ``errors`` or ``warnings``), replacing
      the kernel's key check: several unique fields, keys in child tables, a trash, likely
      duplicates. It must fail a row whose key is held out of the importer's scope without
      naming that record.
    - ``unique``: fields besides the key that two rows of one batch may not share (a row
      that does starts the next batch, so the check sees the earlier one written).
    - ``take_back(session, import_id, updated)``: all or nothing, a row failed while
      writing: undo what this run wrote for good (then each batch commits as it goes;
      default: the whole run is one transaction, rolled back).
    - ``after_run(session)``: after a writing pass (refresh statistics, caches).
    - ``record_created``: False when the records carry the import's id themselves, so the
      kernel keeps no list of the records created (undo finds them by that id).
    - ``undo_note``: what the undo confirmation says, with ``%(created)d`` and
      ``%(updated)d``; ``warning_note``: the import's message when rows have warnings,
      with ``%(count)d``.
    - ``max_mb_setting``: the config key of this spec's upload limit in MB (default
      ``CRM_IMPORT_MAX_MB``).
    - ``options``: settings of the mapping step beyond the kernel's, ``{name: (label,
      [(value, label), ...])}`` (the first choice is the default): each is a select on
      the page, kept in ``imp.mapping["options"]`` and given to the ``cleaner`` as
      ``options={name: value}`` (the command line uses the defaults).
    - ``deferred_indexes``: names of the model table's indexes the writing pass never reads
      (list orders and filters, not the keys): a large import into a small table drops
      them and builds them after the load (SQLite; ``crm_core.imports.indexes``).
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
    cleaner: Callable[..., Any] | None = None
    check: Callable[[BatchCheck], None] | None = None
    unique: Sequence[str] = ()
    take_back: Callable[[Session, int, dict[Any, Any]], None] | None = None
    after_run: Callable[[Session], None] | None = None
    record_created: bool = True
    undo_note: Any = ""
    warning_note: Any = ""
    max_mb_setting: str = ""
    list_import_arg: str = ""
    options: Mapping[str, tuple[Any, Sequence[tuple[str, Any]]]] = field(default_factory=dict)
    deferred_indexes: Sequence[str] = ()

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

    def key_field(self, key: str) -> ImportField | None:
        """The field the import key ``key`` reads (its name or ``key_name``), or None."""
        return next((item for item in self.fields
                     if key in (item.name, item.key_name)), None)

    def key_value(self, values: dict[str, Any], key: str | None) -> Any:
        """A row's value of the import key ``key`` (a list field gives its first value)."""
        item = self.key_field(key) if key else None
        value = values.get(item.name) if item is not None else None
        if isinstance(value, list):
            return value[0] if value else None
        return value


def option_values(spec: ImportSpec, mapping: Mapping[str, Any]) -> dict[str, str]:
    """The import's values of the spec's ``options`` (a value no choice has: the default)."""
    stored = mapping.get("options") or {}
    return {name: stored[name] if stored.get(name) in {value for value, _l in choices}
            else choices[0][0] for name, (_label, choices) in spec.options.items()}
