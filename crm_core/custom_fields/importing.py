"""Custom fields in imports: an import spec whose model takes custom fields gains an
``ImportField`` per active field, named ``custom.<key>``, that a column maps to when its
header is the field's label in Chinese or English (or its key, or ``custom.<key>``).

- A spec with its own cleaner stores the value under ``custom`` itself and says so with
  ``takes_custom_fields = True`` (the customers' does).
- A Resource's generic import (``crm_core.resources.importing``) says so on its writer: its
  columns are the fields the importer may edit, each cell checked by the field's type
  (``typed_import_fields``: a bad cell names its row and column) and kept as the text a
  form would send; the writer gathers them into ``custom`` (``gather_custom``) and stores
  them through ``clean_values``, as the Resource's form does.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from flask import has_request_context

from ..db import get_session
from .models import CustomField
from .storage import kind_of_model
from .types import LONG_TEXT_MAX, parse
from .values import PREFIX, active_fields, editable_fields, locale


def custom_import_fields(kind: str) -> list[Any]:
    """The ``ImportField`` of each active field of ``kind``."""
    from ..imports.spec import ImportField

    found = []
    for item in active_fields(get_session(), kind):
        labels = [text for text in (item.labels or {}).values() if text]
        found.append(ImportField(
            f"{PREFIX}{item.key}", item.label(locale()) if has_request_context()
            else item.label("zh_CN"), aliases=(*labels, item.key, f"{PREFIX}{item.key}"),
            max_length=10_000))
    return found


def _importer() -> Any:
    """The signed-in user of the request (the mapping page), else None (a job or the
    command line: its writer checks the importer's rights on each row)."""
    if not has_request_context():
        return None
    from flask_login import current_user

    return current_user if current_user and current_user.is_authenticated else None


def _user_id(text: str) -> str:
    """A user cell as a form sends it: the id of the user named ``text`` (or its id)."""
    from sqlalchemy import select

    from ..auth.models import User

    if text.isdigit():
        return text
    found = get_session().scalar(select(User.id).where(User.username == text))
    return str(found) if found is not None else text  # unknown: ``parse`` refuses it


def typed_cleaner(item: CustomField) -> Any:
    """The cell cleaner of ``item`` for a generic import: the cell checked as the form
    checks it (``CellError`` saying why), kept as the text the form would send."""
    from ..imports.spec import CellError

    def clean(text: str) -> Any:
        value = _user_id(text.strip()) if item.type == "user" else text.strip()
        try:
            parse(item, value)
        except ValueError as exc:
            raise CellError(str(exc)) from None
        return value

    return clean


def typed_import_fields(kind: str, user: Any = None) -> list[Any]:
    """The ``ImportField`` of each field of ``kind`` that ``user`` may edit (None: every
    active field), its cells checked by type; a required field without a default is a
    required column."""
    from ..imports.spec import ImportField

    session = get_session()
    fields = editable_fields(session, kind, user) if user is not None \
        else active_fields(session, kind)
    found = []
    for item in fields:
        labels = [text for text in (item.labels or {}).values() if text]
        found.append(ImportField(
            f"{PREFIX}{item.key}", item.label(locale()) if has_request_context()
            else item.label("zh_CN"), aliases=(*labels, item.key, f"{PREFIX}{item.key}"),
            clean=typed_cleaner(item), required=bool(item.required and item.default is None),
            max_length=LONG_TEXT_MAX))
    return found


def gather_custom(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` of an imported row with its ``custom.<key>`` cells gathered into
    ``custom`` (``{key: text}``, as a form submits them); unchanged when it has none."""
    cells = {name: value for name, value in values.items() if name.startswith(PREFIX)}
    if not cells:
        return values
    kept = {name: value for name, value in values.items() if name not in cells}
    kept["custom"] = {name[len(PREFIX):]: value for name, value in cells.items()}
    return kept


def with_custom_fields(spec: Any) -> Any:
    """``spec`` with its model's custom fields added (the spec itself when none, or when
    neither its cleaner nor its writer stores ``custom.<key>`` cells)."""
    kind = kind_of_model(spec.model)
    if kind is None:
        return spec
    if getattr(spec.cleaner, "takes_custom_fields", False):
        extra = custom_import_fields(kind.key)
    elif spec.cleaner is None and getattr(spec.write, "takes_custom_fields", False):
        extra = typed_import_fields(kind.key, _importer())  # a Resource's generic import
    else:
        return spec
    if not extra:
        return spec
    names = {item.name for item in spec.fields}
    return dataclasses.replace(spec, fields=[*spec.fields, *(item for item in extra
                                                             if item.name not in names)])
