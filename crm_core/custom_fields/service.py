"""Defining custom fields: add, change, archive and restore them (the only writes of
``core_custom_field``). Every write goes to the operation log through the model capture;
the caller commits.

Safe changes: the key never changes; relabelling touches no value; a type change is refused
while some stored value would not convert (the refusal says how many and shows examples),
else the values are converted; a renamed option is renamed in every record; a removed
option stays in the records that hold it and shows as "(removed)".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import utcnow
from ..errors import DomainError
from . import storage
from .cache import forget
from .models import CustomField
from .types import CHOICE_TYPES, COLOUR, KEY, TYPES, as_text, parse

LABEL_MAX, SECTION_MAX, OPTIONS_MAX, EXAMPLES = 100, 100, 200, 3
DEFAULT_COLOUR = "#6c757d"
BATCH = 1000


class DefinitionError(DomainError):
    """A definition refused; ``field`` names the refused attribute (``key``, ``type``...)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def fields_of(session: Session, kind: str, *, archived: bool | None = False
              ) -> list[CustomField]:
    """The fields of ``kind`` in form order (section, position); ``archived``: only the
    archived ones (True), only the active ones (False), or all (None)."""
    found = select(CustomField).where(CustomField.record_kind == kind)
    if archived is not None:
        found = found.where(CustomField.archived_at.is_not(None) if archived
                            else CustomField.archived_at.is_(None))
    return list(session.scalars(found.order_by(CustomField.section, CustomField.position,
                                               CustomField.id)))


def _labels(data: Mapping[str, Any], name: str, required: bool) -> dict[str, str]:
    raw = data.get(name) or {}
    if not isinstance(raw, Mapping):
        raise DefinitionError(name, _("Give the texts by language: zh_CN and en."))
    labels = {}
    for locale in ("zh_CN", "en"):
        text = str(raw.get(locale) or "").strip()
        if len(text) > (LABEL_MAX if name == "labels" else 500):
            raise DefinitionError(f"{name}.{locale}", _("At most %(max)d characters.",
                                                        max=LABEL_MAX))
        if text:
            labels[locale] = text
    if required and not labels:
        raise DefinitionError(name, _("Give the field a label in Chinese or English."))
    return labels


def _options(data: Mapping[str, Any], old: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Options from ``["A", {"value": "B", "colour": "#..", "was": "old B"}, ...]``; an old
    option left out is kept as removed, ``was`` renames one in place."""
    raw = data.get("options") or []
    if not isinstance(raw, list) or len(raw) > OPTIONS_MAX:
        raise DefinitionError("options", _("Give at most %(max)d options.", max=OPTIONS_MAX))
    options: list[dict[str, Any]] = []
    for item in raw:
        item = {"value": item} if not isinstance(item, Mapping) else dict(item)
        value = str(item.get("value") or "").strip()
        colour = str(item.get("colour") or DEFAULT_COLOUR).strip()
        if not value or len(value) > LABEL_MAX or any(o["value"] == value for o in options):
            raise DefinitionError("options", _("Each option needs its own text of at most "
                                               "%(max)d characters.", max=LABEL_MAX))
        if not COLOUR.fullmatch(colour):
            raise DefinitionError("options", _("Choose the colour as #rrggbb, such as "
                                               "#0d6efd."))
        option = {"value": value, "colour": colour, "removed": False}
        if item.get("was") and str(item["was"]) != value:
            option["was"] = str(item["was"])
        options.append(option)
    kept = {o["value"] for o in options} | {o.get("was") for o in options}
    options += [{**o, "removed": True} for o in old if o["value"] not in kept]
    return options


def _roles(data: Mapping[str, Any], name: str) -> list[str]:
    raw = data.get(name) or []
    if not isinstance(raw, list) or not all(isinstance(r, str) and len(r) <= 80 for r in raw):
        raise DefinitionError(name, _("Give a list of role names."))
    return sorted(set(raw))


def _apply(session: Session, field: CustomField, data: Mapping[str, Any]) -> None:
    if "labels" in data or field.id is None:
        field.labels = _labels(data, "labels", required=True)
    if "help" in data:
        field.help = _labels(data, "help", required=False)
    if "section" in data:
        field.section = str(data.get("section") or "").strip()[:SECTION_MAX]
    for name, cast in (("position", int), ("required", bool), ("filterable", bool)):
        if name in data:
            try:
                setattr(field, name, cast(data[name] or 0))
            except (TypeError, ValueError):
                raise DefinitionError(name, _("Enter a whole number.")) from None
    for name in ("view_roles", "edit_roles"):
        if name in data:
            setattr(field, name, _roles(data, name))
    if field.type in CHOICE_TYPES and ("options" in data or field.id is None):
        field.options = _options(data, list(field.options or []))
        if not field.option_values():
            raise DefinitionError("options", _("A choice field needs at least one option."))
    elif field.type not in CHOICE_TYPES:
        field.options = []
    if "default" in data:
        try:
            field.default = parse(field, data["default"])
        except ValueError as exc:
            raise DefinitionError("default", str(exc)) from None


def create_field(session: Session, kind: storage.RecordKind, data: Mapping[str, Any]
                 ) -> CustomField:
    """A new field of ``kind`` from ``data`` (key, type, labels, help, section, position,
    required, default, options, view_roles, edit_roles, filterable)."""
    key = str(data.get("key") or "").strip()
    if not KEY.fullmatch(key) or key in ("id",):
        raise DefinitionError("key", _("A key is a lower-case letter followed by at most 39 "
                                       "lower-case letters, digits or _."))
    if session.scalar(select(CustomField.id).where(CustomField.record_kind == kind.key,
                                                   CustomField.key == key)):
        raise DefinitionError("key", _("The key %(key)s is taken (perhaps by an archived "
                                       "field: restore it instead).", key=key))
    type_ = str(data.get("type") or "")
    if type_ not in TYPES:
        raise DefinitionError("type", _("Choose a type: %(types)s.", types=", ".join(TYPES)))
    position = data.get("position")
    if position is None:
        position = len(fields_of(session, kind.key, archived=None)) * 10
    field = CustomField(record_kind=kind.key, key=key, type=type_, options=[],
                        position=position, help={}, section="", view_roles=[], edit_roles=[])
    _apply(session, field, {**data, "position": position})
    session.add(field)
    session.flush()
    _sync_index(session, kind, field)
    forget(kind.key)
    return field


def update_field(session: Session, kind: storage.RecordKind, field: CustomField,
                 data: Mapping[str, Any]) -> CustomField:
    """Change ``field``: labels, help, section, order, required, default, options, roles,
    filterable, and its type when every stored value converts."""
    if "key" in data and data["key"] != field.key:
        raise DefinitionError("key", _("A field's key never changes."))
    new_type = data.get("type") or field.type
    if new_type not in TYPES:
        raise DefinitionError("type", _("Choose a type: %(types)s.", types=", ".join(TYPES)))
    if new_type != field.type:
        converted = _convert_values(session, kind, field, new_type, data)
        field.type = new_type
        if new_type not in CHOICE_TYPES:
            field.options = []
    else:
        converted = None
    _apply(session, field, data)
    renames = {o["was"]: o["value"] for o in field.options or [] if o.get("was")}
    field.options = [{k: v for k, v in o.items() if k != "was"} for o in field.options or []]
    session.flush()
    if renames:
        _rename_options(session, kind, field, renames)
    if converted:
        _write_values(session, kind, field.key, converted)
    _sync_index(session, kind, field, rebuild=converted is not None)
    forget(kind.key)
    return field


def archive_field(session: Session, kind: storage.RecordKind, field: CustomField) -> None:
    """Archive ``field``: hidden everywhere, its values kept (``restore_field`` brings it
    back), its index dropped."""
    field.archived_at = utcnow()
    session.flush()
    storage.drop_index(session.connection(), kind, field.key)
    forget(kind.key)


def restore_field(session: Session, kind: storage.RecordKind, field: CustomField) -> None:
    """Bring an archived field back with the values its records kept."""
    field.archived_at = None
    session.flush()
    _sync_index(session, kind, field)
    forget(kind.key)


def _sync_index(session: Session, kind: storage.RecordKind, field: CustomField,
                rebuild: bool = False) -> None:
    connection = session.connection()
    if rebuild or not field.filterable or field.archived_at is not None:
        storage.drop_index(connection, kind, field.key)
    if field.filterable and field.archived_at is None:
        storage.create_index(connection, kind, field.key, field.type)


def _rows_with(session: Session, kind: storage.RecordKind, key: str) -> Any:
    model = kind.model
    dialect = session.get_bind().dialect.name
    value = storage.value_expression(dialect, model, key, "text")
    return session.execute(select(model.id, model.custom).where(value.is_not(None))).all()


def _convert_values(session: Session, kind: storage.RecordKind, field: CustomField,
                    new_type: str, data: Mapping[str, Any]) -> dict[int, Any]:
    """Every stored value of ``field`` converted to ``new_type``; refused (naming how many
    and a few examples) when some would not convert."""
    target = CustomField(key=field.key, type=new_type, options=field.options)
    if new_type in CHOICE_TYPES:
        target.options = _options(data, []) if data.get("options") else field.options
    converted: dict[int, Any] = {}
    failed: list[str] = []
    count = 0
    for record_id, custom in _rows_with(session, kind, field.key):
        old = (custom or {}).get(field.key)
        try:
            converted[record_id] = parse(target, as_text(field, old), old)
        except ValueError:
            count += 1
            if len(failed) < EXAMPLES:
                failed.append(as_text(field, old))
    if count:
        raise DefinitionError("type", _(
            "%(count)d records hold values that are not %(type)s, such as: %(examples)s. "
            "Correct them first.", count=count, type=str(TYPES[new_type]).lower(),
            examples="; ".join(failed)))
    return converted


def _write_values(session: Session, kind: storage.RecordKind, key: str,
                  values: Mapping[int, Any]) -> None:
    model = kind.model
    ids = list(values)
    for start in range(0, len(ids), BATCH):
        for record in session.scalars(select(model).where(model.id.in_(ids[start:start +
                                                                             BATCH]))):
            record.custom = {**(record.custom or {}), key: values[record.id]}
        session.flush()


def _rename_options(session: Session, kind: storage.RecordKind, field: CustomField,
                    renames: Mapping[str, str]) -> None:
    changed: dict[int, Any] = {}
    for record_id, custom in _rows_with(session, kind, field.key):
        old = (custom or {}).get(field.key)
        if isinstance(old, list):
            new = [renames.get(item, item) for item in old]
        else:
            new = renames.get(old, old)
        if new != old:
            changed[record_id] = new
    _write_values(session, kind, field.key, changed)
