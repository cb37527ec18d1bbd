"""Keyset (cursor) pagination: ``?limit=`` and ``?cursor=``, never ``OFFSET``.

A page answers ``{"items": [...], "next_cursor": "..." | null}``. The cursor is opaque to the
client: URL-safe base64 of the last row's (sort value, id). The next page starts strictly after
that key, so rows are never skipped or repeated while others are added, however deep the page.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import has_request_context, request
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate
from sqlalchemy import Select, inspect, tuple_
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from ..edge.ints import INT64_MAX, INT64_MIN
from ..edge.text import is_clean

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class ListQuery(Schema):
    """The query string of a list endpoint: ``limit`` (1–200, default 50) and ``cursor``.

    Subclass it to add filters; ``api_endpoint(..., page=True)`` uses it by default.
    """

    class Meta:
        unknown = EXCLUDE

    limit = fields.Integer(load_default=DEFAULT_LIMIT,
                           validate=validate.Range(min=1, max=MAX_LIMIT),
                           metadata={"description": f"Items per page, at most {MAX_LIMIT}."})
    cursor = fields.String(load_default=None, allow_none=True,
                           metadata={"description": "The next_cursor of the previous page."})


@dataclass(frozen=True)
class Page:
    """One page of a list: the items and the cursor of the next page (None on the last)."""

    items: list[Any]
    next_cursor: str | None = None


def _encode_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"d": value.isoformat()}
    if isinstance(value, Decimal):
        return {"dec": str(value)}
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        (kind, text), = value.items()
        if kind == "dt":
            return dt.datetime.fromisoformat(text)
        if kind == "d":
            return dt.date.fromisoformat(text)
        if kind == "dec":
            return Decimal(text)
    return value


def encode_cursor(key: list[Any]) -> str:
    """The opaque cursor of a row key (sort value(s) then id)."""
    raw = json.dumps([_encode_value(value) for value in key], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _storable(value: Any) -> Any:
    # A forged cursor must not reach the database with what it cannot compare or store.
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            raise ValueError("out of range")
        return value
    if isinstance(value, str):
        if not is_clean(value):
            raise ValueError("bad text")
        return value
    if isinstance(value, (dt.date, Decimal)):
        return value
    raise ValueError("not a scalar")


def decode_cursor(cursor: str, size: int) -> list[Any]:
    """The row key inside ``cursor``; raises ValidationError on the ``cursor`` field."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(key, list) or len(key) != size:
            raise ValueError("wrong size")
        return [_storable(_decode_value(value)) for value in key]
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, ArithmeticError):
        raise ValidationError({"cursor": [
            "Not a valid cursor; use the next_cursor of the previous page."]}) from None


def list_arguments() -> dict[str, Any]:
    """``limit`` and ``cursor`` of the current request, validated (422 naming the field)."""
    if not has_request_context():
        return {"limit": DEFAULT_LIMIT, "cursor": None}
    return ListQuery().load(request.args)


def _primary_key(statement: Select[Any]) -> ColumnElement[Any]:
    entity = statement.column_descriptions[0].get("entity")
    if entity is None:
        raise ValueError("paginate() needs id_column= when the statement selects no model")
    return inspect(entity).primary_key[0]


def paginate(session: Session, statement: Select[Any], *, sort: Any = None,
             id_column: Any = None, descending: bool = False, limit: int | None = None,
             cursor: str | None = None) -> Page:
    """Run ``statement`` one page at a time, by keyset on ``(sort, id_column)``.

    ``sort`` is a NOT NULL column (default: the id alone); ``id_column`` defaults to the
    primary key of the selected model. ``limit`` and ``cursor`` default to the request's
    ``?limit=`` and ``?cursor=`` (validated: a bad one raises a 422 naming the field). Any
    ``ORDER BY`` of ``statement`` is replaced. Items are the model objects (or rows, when the
    statement selects several things).
    """
    if limit is None and cursor is None:
        arguments = list_arguments()
        limit, cursor = arguments["limit"], arguments["cursor"]
    limit = DEFAULT_LIMIT if limit is None else limit
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError({"limit": [f"Must be between 1 and {MAX_LIMIT}."]})
    id_column = id_column if id_column is not None else _primary_key(statement)
    keys = [id_column] if sort is None else [sort, id_column]
    width = len(statement.column_descriptions)

    if cursor:
        last = decode_cursor(cursor, len(keys))
        statement = statement.where(_after(keys, last, descending))
    order = [key.desc() if descending else key.asc() for key in keys]
    labelled = [key.label(f"_crm_key_{index}") for index, key in enumerate(keys)]
    rows = session.execute(statement.add_columns(*labelled).order_by(None).order_by(*order)
                           .limit(limit + 1)).all()

    items = [row[0] if width == 1 else tuple(row[:width]) for row in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        next_cursor = encode_cursor(list(rows[limit - 1][width:]))
    return Page(items=items, next_cursor=next_cursor)


def _after(keys: list[Any], last: list[Any], descending: bool) -> ColumnElement[bool]:
    """``(k1, k2) > (v1, v2)`` (or ``<``) as a row-value comparison: SQLite (3.15+) and
    PostgreSQL seek the ``(k1, k2)`` index with it, while the spelled-out ``k1 > v1 OR (k1 =
    v1 AND k2 > v2)`` made SQLite scan the index from the start (170 ms at a depth of 990,000
    of a million rows, against 4 ms)."""
    if len(keys) == 1:
        return keys[0] < last[0] if descending else keys[0] > last[0]
    row, bound = tuple_(*keys), tuple_(*last)
    return row < bound if descending else row > bound
