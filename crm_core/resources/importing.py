"""A Resource's import: the ``ImportSpec`` it declares, or one derived from its fields.

A Resource that offers the ``"import"`` action gets the kernel's import wizard (its list
page links to ``/imports/<spec id>/new``), the import and export jobs and ``crm <plugin>
import|export``. Its spec is ``import_spec`` when declared (the permissions and the list the
wizard goes back to filled in from the Resource), else derived from the form fields:

- labels from the Resource, aliases from the field name (``owner_id``: "owner_id", "owner");
- required: a NOT NULL column without a default;
- cleaners from the column type (``import_cells``): whole numbers within the column's
  range, decimals within its precision, dates, date-times (UTC), yes/no, text up to the
  column's length;
- choices by value or by label (English or Chinese); a relation by the name its target
  shows (users by user name); a relation to a data-scoped model is left out (a name lookup
  would tell what the importer may not see) until the plugin declares its own spec;
- keys: ``id`` (the ID column of an export, to upsert a changed export back) and the unique
  columns. A new record always gets a new ID; its owner is the importer, its department the
  owner's, as on the Resource's form. A Resource with its own ``create``/``update`` is
  written through them, a record at a time (its rules hold); else by ``bulk_write``.

The spec's export writes the Resource's export columns as its list's export does, and a
column per custom field the user may see.

A derived spec carries custom fields (``crm_core.custom_fields.importing``): a column per
field the importer may edit, mapped by the field's key, ``custom.<key>`` or its label in
either language; each cell is checked by the field's type (a bad cell fails its row, named
with its column) and stored through ``clean_values`` as the Resource's form stores it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..custom_fields.importing import gather_custom
from ..custom_fields.storage import kind_of_model
from ..edge.ints import INT32_MAX
from ..errors import RegistryError
from ..imports.spec import ImportField, ImportSpec, Relation, WriteBatch, WriteResult
from ..imports.writers import table_writer
from ..rbac.scope import data_scope_of
from . import query
from .declaration import Field, Resource
from .display import cell
from .import_cells import by_type, choices_cleaner, whole

__all__ = ["derive_spec", "import_spec_of", "resource_import_specs", "resource_specs"]

EXPORT_BATCH = 1000


def _relation(item: Field) -> Relation | None:
    """Names of the field's targets to ids; None when the target's rows are data-scoped."""
    if item.relation != "user" and getattr(item.relation, "__data_scope__", None) is not None:
        return None
    target, label = query.relation_target(item)

    def find(session: Session, names: list[str]) -> dict[str, Any]:
        return {name: record_id for name, record_id in session.execute(
            select(label, target.id).where(label.in_(names)))}

    return Relation(find, noun=item.title())


def _required(column: Any) -> bool:
    return not column.nullable and column.default is None and column.server_default is None


def _field(item: Field, column: Any) -> ImportField | None:
    required = _required(column)
    aliases = tuple(dict.fromkeys([item.name.removesuffix("_id"), item.name]))
    common = {"label": item.title(), "aliases": aliases, "required": required}
    if item.choices is not None:
        return ImportField(item.name, clean=choices_cleaner(item.choices), max_length=200, **common)
    if item.relation is not None:
        relation = _relation(item)
        return None if relation is None else ImportField(item.name, relation=relation,
                                                         max_length=200, **common)
    typed = by_type(column)
    if typed is None:
        return None
    clean, max_length = typed
    return ImportField(item.name, clean=clean, max_length=max_length, **common)


def _unique(resource: Resource, name: str) -> bool:
    table = resource.model.__table__  # type: ignore[attr-defined]
    if table.c[name].unique:
        return True
    return any(index.unique and [column.name for column in index.columns] == [name]
               for index in table.indexes)


def _find(resource: Resource) -> Callable[[Session, str, list[Any]], dict[Any, Any]]:
    """Existing records by a key, deleted ones left out (a deleted record is not there)."""
    model = resource.model

    def find(session: Session, key: str, values: list[Any]) -> dict[Any, Any]:
        column = getattr(model, key)
        found = select(column, model.id).where(column.in_(values)).order_by(model.id)
        if resource.soft_delete:
            found = found.where(getattr(model, resource.soft_delete).is_(None))
        result: dict[Any, Any] = {}
        for value, record_id in session.execute(found):
            result.setdefault(value, record_id)
        return result

    return find


def _importer(batch: WriteBatch) -> Any:
    from ..auth.models import User

    return batch.session.get(User, batch.user_id) if batch.user_id is not None else None


def _custom_values(resource: Resource, batch: WriteBatch) -> None:
    """Each row's ``custom.<key>`` cells checked into the record's new ``custom``, as the
    Resource's form stores them (a new record gets the defaults; the importer's rights on
    each field hold)."""
    from ..custom_fields.values import clean_values

    kind = kind_of_model(resource.model)
    if kind is None:
        return
    session, user, model = batch.session, _importer(batch), resource.model
    current = dict(session.execute(select(model.id, model.custom).where(
        model.id.in_([record_id for record_id, _values in batch.updates])))
        .all()) if batch.updates else {}
    for index, values in enumerate(batch.inserts):
        values = batch.inserts[index] = gather_custom(values)
        values["custom"] = clean_values(session, kind.key, values.get("custom"), None,
                                        user=user, new=True)
    for index, (record_id, values) in enumerate(batch.updates):
        values = gather_custom(values)
        if "custom" in values:
            values["custom"] = clean_values(session, kind.key, values["custom"],
                                            current.get(record_id), user=user)
        batch.updates[index] = (record_id, values)


def _writer(resource: Resource) -> Callable[[WriteBatch], WriteResult]:
    """The table's writer; a new record's ID is the database's; the department follows the
    owner (one statement a batch); custom cells go through ``clean_values``."""
    plain, scope = table_writer(resource.model), data_scope_of(resource.model)

    def write(batch: WriteBatch) -> WriteResult:
        _custom_values(resource, batch)
        for values in [*batch.inserts, *(values for _id, values in batch.updates)]:
            values.pop("id", None)  # a key only: never written
        if scope is not None and scope.department:
            rows = [*batch.inserts, *(values for _id, values in batch.updates)]
            owners = {values[scope.owner] for values in rows if values.get(scope.owner)}
            if owners:
                from ..auth.models import User

                departments = dict(batch.session.execute(
                    select(User.id, User.department_id).where(User.id.in_(owners))).all())
                for values in rows:
                    if values.get(scope.owner):
                        values[scope.department] = departments.get(values[scope.owner])
        return plain(batch)

    write.takes_custom_fields = True  # type: ignore[attr-defined]  (``custom.<key>`` columns)
    return write


def _service_writer(resource: Resource) -> Callable[[WriteBatch], WriteResult]:
    """The Resource's own ``create``/``update`` (its business rules), a record at a time,
    as the importer (the command line: no user); a refusal stops the batch with its message.
    Custom cells go in as ``custom`` (``{key: text}``, checked by ``create_record`` /
    ``update_record`` as a form's are)."""
    from .writes import create_record, update_record

    def write(batch: WriteBatch) -> WriteResult:
        session, result, user = batch.session, WriteResult(), _importer(batch)
        for values in batch.inserts:
            values = gather_custom(values)
            values.pop("id", None)
            result.created.append(create_record(session, resource, values, user).id)
        for record_id, values in batch.updates:
            record = session.get(resource.model, record_id)
            values = gather_custom(values)
            changed = {name: value for name, value in values.items() if name != "id"
                       and value not in (None, "", {}) and (name == "custom"
                                                            or getattr(record, name) != value)}
            if record is None or not changed:
                continue
            old = {name: _plain(getattr(record, name)) for name in changed}
            update_record(session, resource, record, changed, user)
            new = {name: _plain(getattr(record, name)) for name in changed}
            if new != old:  # custom cells that match the record's values change nothing
                result.updated[record_id] = (old, new)
        return result

    write.takes_custom_fields = True  # type: ignore[attr-defined]  (``custom.<key>`` columns)
    return write


def _plain(value: Any) -> Any:
    if isinstance(value, dict):  # a ``custom`` object: JSON already, kept for undo
        return dict(value)
    return value if value is None or isinstance(value, bool | int | float | str) else str(value)


def _defaults(resource: Resource) -> Callable[[int | None], dict[str, Any]] | None:
    scope = data_scope_of(resource.model)
    if scope is None:
        return None
    return lambda user_id: {scope.owner: user_id} if user_id is not None else {}


def _export(resource: Resource) -> Callable[[Session, int | None], tuple[list[str], Any]]:
    """The Resource's export columns of the records ``user_id`` may see (None: all)."""
    model = resource.model

    def export(session: Session, user_id: int | None) -> tuple[list[str], Iterator[Any]]:
        from ..custom_fields.records import export_extra

        columns = resource.exported()
        found = query.statement(resource, user_id, {}, "", every=user_id is None)
        custom_headers, custom_cells = export_extra(session, model, user_id)  # read back in

        def batches() -> Iterator[list[list[str]]]:
            last = 0
            while rows := list(session.scalars(found.where(model.id > last)
                                               .order_by(model.id).limit(EXPORT_BATCH))):
                names = query.related_names(session, resource, rows, columns)
                yield [[cell(resource, row, name, names, html=False) for name in columns]
                       + custom_cells(row) for row in rows]
                last = rows[-1].id

        return [str(resource.column_label(name)) for name in columns] + custom_headers, \
            batches()

    return export


def derive_spec(resource: Resource) -> ImportSpec:
    """The ``ImportSpec`` of ``resource`` derived from its form fields (see the module)."""
    columns = resource.model.__table__.columns  # type: ignore[attr-defined]
    fields = [ImportField("id", "ID", aliases=("编号",), clean=whole(1, INT32_MAX),
                          max_length=20)]
    for item in resource.editable():
        column = columns[item.name]
        derived = _field(item, column)
        if derived is not None:
            fields.append(derived)
        elif _required(column) and resource.create is None:
            raise RegistryError(f"resource {resource.key!r} offers import, but its required "
                                f"field {item.name!r} cannot be read from a cell: declare "
                                "import_spec= or leave 'import' out of its actions")
    keys = ("id", *(item.name for item in fields[1:] if _unique(resource, item.name)))
    return ImportSpec(
        id=resource.key, title=resource.label, model=resource.model, fields=fields, keys=keys,
        write=_service_writer(resource) if resource.create or resource.update
        else _writer(resource), find=_find(resource), defaults=_defaults(resource),
        permission=resource.permission("import"),
        export_permission=resource.permission("export"),
        list_endpoint=f"{resource.endpoint}.list", export=_export(resource))


def import_spec_of(resource: Resource) -> ImportSpec | None:
    """The resource's spec (declared, completed from the resource, or derived), or None
    when it does not offer ``"import"``. Built once per resource."""
    if not resource.offers("import"):
        return None
    spec = resource.__dict__.get("_import_spec_built")
    if spec is None:
        declared = resource.import_spec
        if declared is None:
            spec = derive_spec(resource)
        elif isinstance(declared, ImportSpec):
            spec = dataclasses.replace(
                declared, permission=declared.permission or resource.permission("import"),
                export_permission=declared.export_permission or resource.permission("export"),
                list_endpoint=declared.list_endpoint or f"{resource.endpoint}.list")
        else:
            raise TypeError(f"resource {resource.key!r}: import_spec must be a "
                            f"toolkit.ImportSpec, not {declared!r}")
        resource.__dict__["_import_spec_built"] = spec
    return spec


def resource_import_specs(manager: Any) -> list[tuple[Resource, ImportSpec]]:
    """``(resource, spec)`` of every enabled plugin's resource that offers import."""
    from .registration import resources

    return [(resource, spec) for _plugin, resource in resources(manager)
            if (spec := import_spec_of(resource)) is not None]


def resource_specs(manager: Any) -> list[ImportSpec]:
    """The specs of every enabled plugin's resources that offer import."""
    return [spec for _resource, spec in resource_import_specs(manager)]
