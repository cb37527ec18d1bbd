"""How an entry's changes read on a page: field labels, choice labels, names for ids.

An entry stores raw column values (``follow_up_by: 1 → 2``). The page shows them as a user
knows them (``跟进人: 张伟 → 王晓燕``), for every plugin's tables, from what the kernel can
know about a column:

- its **label**: a Resource field's label, else the model's ``__audit_labels__``
  (``{"follow_up_by": _l("Follow-up by")}``), else the column's ``info["label"]``, else a
  kernel label for the common columns (owner, department, created, updated...);
- its **choices**: a Resource field's choices, else the model's ``__audit_choices__``
  (``{"status": {"active": _l("Active")}}``), else ``info["choices"]``;
- the **record an id names**: a foreign key to ``core_user`` shows the user's name, to
  ``core_department`` the department's, to a table without a data scope its ``name`` or
  ``title`` (a scoped record's name may be outside the reader's scope: its id shows); a
  column without a foreign key says it with ``info={"references": "core_user"}`` or
  the model's ``__audit_references__`` (``{"follow_up_by": "core_user"}``).

Names are loaded once per table and page (``prefetch``), never one query per value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import current_app, g
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..i18n import translate
from ..sensitive.audit import mask_changes
from .service import describe_changes

#: Labels of columns many tables share (a plugin's own label wins).
COMMON_LABELS: dict[str, Any] = {
    "id": "ID", "name": _l("Name"), "title": _l("Title"), "status": _l("Status"),
    "owner_id": _l("Owner"), "department_id": _l("Department"), "user_id": _l("User"),
    "created_at": _l("Created at"), "updated_at": _l("Updated at"),
    "deleted_at": _l("Deleted at"),
    "notes": _l("Notes"), "description": _l("Description"), "label": _l("Label"),
    "parent_id": _l("Parent"), "role_id": _l("Role"), "permission_id": _l("Permission"),
    "progress": _l("Progress"), "state": _l("State"), "message": _l("Message"),
    "kind": _l("Kind"), "priority": _l("Priority"), "body": _l("Text"),
}
#: Values of common columns (the kernel's own states; a plugin's choices win).
COMMON_CHOICES: dict[str, dict[Any, Any]] = {}
#: The column each referenced kernel table is named by.
NAMED_BY = {"core_user": ("display_name", "username"), "core_department": ("name",),
            "core_role": ("label", "name")}
#: Tables whose names are msgids of the catalogs (built-in role labels).
TRANSLATED_NAMES = {"core_role"}
GUESSED_NAMES = ("name", "title", "label", "code")


@dataclass
class TableInfo:
    """What the pages know about one audited table's columns."""

    labels: dict[str, Any] = field(default_factory=dict)
    choices: dict[str, dict[Any, Any]] = field(default_factory=dict)
    references: dict[str, str] = field(default_factory=dict)  # column -> table
    label: Any = None  # the kind of record, when a Resource names it


def _model_of(table: str) -> Any:
    for classes in current_app.extensions["crm"].models.values():
        for model in classes:
            if getattr(model, "__tablename__", None) == table:
                return model
    return None


def _resource_of(table: str) -> Any:
    from ..resources.registration import resources

    for _plugin, resource in resources(current_app.extensions["crm"].pm):
        if getattr(resource.model, "__tablename__", None) == table:
            return resource
    return None


def _nameable(table: str) -> bool:
    """Whether any reader may see the names of ``table``'s rows: users, departments and
    tables without a data scope (a scoped record's name could be outside the reader's
    scope, so its id is shown instead)."""
    if table in NAMED_BY:
        return True
    model = _model_of(table)
    return model is not None and getattr(model, "__data_scope__", None) is None


def _job_choices() -> dict[Any, Any]:
    from ..jobs.models import state_labels

    return dict(state_labels())


def table_info(table: str | None) -> TableInfo:
    """Labels, choices and references of ``table``'s columns (cached per app)."""
    cache = current_app.extensions.setdefault("crm_audit_tables", {})
    if table in cache:
        return cache[table]
    info = TableInfo(labels=dict(COMMON_LABELS), choices=dict(COMMON_CHOICES))
    if table == "core_job":
        info.choices["state"] = _job_choices()
    model = _model_of(table) if table else None
    if model is not None:
        for column in model.__table__.columns:
            if "label" in column.info:
                info.labels[column.name] = column.info["label"]
            if "choices" in column.info:
                info.choices[column.name] = dict(column.info["choices"])
            if "references" in column.info:
                info.references[column.name] = column.info["references"]
            for key in column.foreign_keys:
                target = key.column.table.name
                if _nameable(target):
                    info.references.setdefault(column.name, target)
        info.labels.update(getattr(model, "__audit_labels__", {}))
        info.choices.update({name: dict(values) for name, values
                             in getattr(model, "__audit_choices__", {}).items()})
        info.references.update(getattr(model, "__audit_references__", {}))
    resource = _resource_of(table) if table else None
    if resource is not None:
        info.label = resource.label
        for item in resource.fields:
            info.labels[item.name] = item.title()
            if item.choices is not None:
                info.choices[item.name] = dict(item.choices)
            if item.relation == "user":
                info.references[item.name] = "core_user"
    cache[table] = info
    return info


def _names_of(table: str, ids: set[int]) -> dict[int, str]:
    """``{id: name}`` of rows of ``table`` (cached for the request)."""
    from ..db import Model, get_session

    cache = g.setdefault("crm_audit_names", {}).setdefault(table, {})
    missing = {value for value in ids if value not in cache}
    source = Model.metadata.tables.get(table)
    if missing and source is not None:
        columns = [source.c[name] for name in NAMED_BY.get(table, GUESSED_NAMES)
                   if name in source.c]
        if columns and "id" in source.c:
            rows = get_session().execute(select(source.c.id, *columns)
                                         .where(source.c.id.in_(sorted(missing))))
            for row in rows:
                cache[row[0]] = next((str(value) for value in row[1:] if value), str(row[0]))
    return {value: cache[value] for value in ids if value in cache}


def _ids(value: Any) -> set[int]:
    if isinstance(value, bool):
        return set()
    if isinstance(value, int):
        return {value}
    if isinstance(value, str) and value.isdigit():
        return {int(value)}
    return set()


def prefetch(entries: list[Any]) -> None:
    """Load the names every reference of ``entries`` shows, one query per table."""
    wanted: dict[str, set[int]] = {}
    for entry in entries:
        info = table_info(entry.model)
        for change in describe_changes(entry):
            table = info.references.get(change.field)
            if table:
                wanted.setdefault(table, set()).update(_ids(change.old) | _ids(change.new))
    for table, ids in wanted.items():
        _names_of(table, ids)


@dataclass(frozen=True)
class ShownChange:
    """One change as the page shows it (``label: old → new``, values as text or None)."""

    field: str
    label: str
    old: Any
    new: Any
    has_old: bool
    has_new: bool


def _shown(value: Any, choices: dict[Any, Any], table: str | None) -> Any:
    """A value as text: a choice's label, a referenced record's name, yes/no; else the raw
    value (``audit_value`` formats times and cuts long text)."""
    from flask_babel import gettext

    if value is None:
        return None
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, str | int) and value in choices:
        return translate(choices[value])
    if table:
        names = _names_of(table, _ids(value))
        if names:
            name = next(iter(names.values()))
            return translate(name) if table in TRANSLATED_NAMES else name
    return value


def shown_changes(entry: Any, labels: dict[str, Any] | None = None,
                  choices: dict[str, dict[Any, Any]] | None = None) -> list[ShownChange]:
    """``entry``'s changes with labels, choice labels and names; ``labels``/``choices``
    given by a page (a template's ``field_labels``/``field_choices``) win."""
    info = table_info(entry.model)
    shown = []
    for change in describe_changes(entry):
        if change.field == "custom":  # one change per custom field, by its label
            from ..custom_fields.audit import custom_changes

            expanded = custom_changes(entry.model, change)
            if expanded is not None:
                shown += [ShownChange(*item) for item in expanded]
                continue
        values = (choices or {}).get(change.field) or info.choices.get(change.field, {})
        table = info.references.get(change.field)
        label = (labels or {}).get(change.field) or info.labels.get(change.field)
        shown.append(ShownChange(
            change.field, translate(label) if label is not None else change.field,
            _shown(change.old, values, table) if change.has_old else None,
            _shown(change.new, values, table) if change.has_new else None,
            change.has_old, change.has_new))
    return mask_changes(entry.model, shown)  # 139****5678 for a reader who sees masks


def record_kind(table: str | None) -> str:
    """The kind of record a table holds, as a Resource names it, else the table's name."""
    if not table:
        return ""
    info = table_info(table)
    model = _model_of(table)
    label = info.label or getattr(model, "__audit_label__", None)
    return translate(label) if label is not None else table
