"""Keyset (cursor) pagination: ``?limit=``, ``?cursor=`` and ``?before=``, never ``OFFSET``.

A page answers ``{"items": [...], "next_cursor": "..." | null}``. The cursor is opaque to the
client: URL-safe base64 of the last row's (sort value, id). The next page starts strictly after
that key, so rows are never skipped or repeated while others are added, however deep the page.
``?before=`` (a page's ``prev_cursor``) reads the page that ends just before a key: the same
index seek, backwards, and the rows come back in the list's own order.

A bad ``limit``, ``cursor`` or ``before`` raises ``PageError``: the API answers it as a
problem+json naming the field; an HTML page (a GET) goes back to its first page with a notice.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from flask import flash, has_request_context, redirect, request
from flask_babel import gettext as _
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
    before = fields.String(load_default=None, allow_none=True,
                           metadata={"description": "The prev_cursor of the next page: the "
                                                    "page before it."})


class PageError(ValidationError):
    """A bad ``limit``, ``cursor`` or ``before`` (forged, truncated, out of range).

    A marshmallow ``ValidationError`` whose ``messages`` name the field, so the API answers
    it like any invalid query parameter; on an HTML GET the kernel redirects to the first
    page with a notice instead.
    """


@dataclass(frozen=True)
class Page:
    """One page of a list: the items, the cursor of the next page (None on the last) and
    the cursor of the previous page (None on the first; pass it as ``before=``)."""

    items: list[Any]
    next_cursor: str | None = None
    prev_cursor: str | None = None


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


def decode_cursor(cursor: str, size: int, field: str = "cursor") -> list[Any]:
    """The row key inside ``cursor``; raises PageError on ``field``."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(key, list) or len(key) != size:
            raise ValueError("wrong size")
        return [_storable(_decode_value(value)) for value in key]
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, ArithmeticError):
        raise PageError({field: [
            "Not a valid cursor; use the next_cursor or prev_cursor of a page."]}) from None


def list_arguments() -> dict[str, Any]:
    """``limit``, ``cursor`` and ``before`` of the current request, validated (a
    ``PageError`` naming the field)."""
    if not has_request_context():
        return {"limit": DEFAULT_LIMIT, "cursor": None, "before": None}
    try:
        return ListQuery().load(request.args)
    except ValidationError as exc:
        raise PageError(exc.messages) from None


def _primary_key(statement: Select[Any]) -> ColumnElement[Any]:
    entity = statement.column_descriptions[0].get("entity")
    if entity is None:
        raise ValueError("paginate() needs id_column= when the statement selects no model")
    return inspect(entity).primary_key[0]


def _selected(statement: Select[Any]) -> list[Any]:
    """What ``statement`` selects, one item per model or column as given to ``select()``
    (what ``column_descriptions`` counts: reading those built the ORM's compile state, ~5 %
    of an API list request, issue 11)."""
    return list(statement._raw_columns)  # noqa: SLF001 - no public list of the raw items


def _executor(session: Session, selected: list[Any]) -> Any:
    """How to run a page: a statement of the tables' own columns only (no model, no model
    attribute) through the session's connection, after the autoflush the session would do:
    its rows are the same, without the ORM's result machinery (about a tenth of an API list
    request, issue 11). Anything else goes through the session: a model needs its objects,
    and a result keyed by the ORM's annotated columns would compare each of them with the
    cached statement's (building a SQL expression per comparison), which the ORM avoids."""
    plain = all(isinstance(item, ColumnElement) and not item._annotations  # noqa: SLF001
                for item in selected)
    if not plain:
        return session.execute
    if session.autoflush:
        session.flush()
    return session.connection().execute


def paginate(session: Session, statement: Select[Any], *, sort: Any = None,
             id_column: Any = None, descending: bool = False, limit: int | None = None,
             cursor: str | None = None, before: str | None = None) -> Page:
    """Run ``statement`` one page at a time, by keyset on ``(sort, id_column)``.

    ``sort`` is a NOT NULL column (default: the id alone); ``id_column`` defaults to the
    primary key of the selected model. ``cursor`` reads the page after a page (its
    ``next_cursor``), ``before`` the page before one (its ``prev_cursor``), in the same order;
    a ``before`` at the start gives the first page. ``limit``, ``cursor`` and ``before``
    default to the request's ``?limit=``, ``?cursor=`` and ``?before=`` (a bad one raises
    ``PageError`` naming the field). Any ``ORDER BY`` of ``statement`` is replaced. Items are
    the model objects (or rows, when the statement selects several things).
    """
    if limit is None and cursor is None and before is None:
        arguments = list_arguments()
        limit, cursor, before = arguments["limit"], arguments["cursor"], arguments["before"]
    limit = DEFAULT_LIMIT if limit is None else limit
    if not 1 <= limit <= MAX_LIMIT:
        raise PageError({"limit": [f"Must be between 1 and {MAX_LIMIT}."]})
    if cursor and before:
        raise PageError({"before": ["Give cursor or before, not both."]})
    id_column = id_column if id_column is not None else _primary_key(statement)
    keys = [id_column] if sort is None else [sort, id_column]
    selected = _selected(statement)
    width = len(selected)
    execute = _executor(session, selected)

    def run(where: ColumnElement[bool] | None, backwards: bool, count: int,
            *extra: Any) -> list[Any]:
        query = statement if where is None else statement.where(where)
        down = descending != backwards
        order = [key.desc() if down else key.asc() for key in keys]
        labelled = [key.label(f"_crm_key_{index}") for index, key in enumerate(keys)]
        return list(execute(query.add_columns(*labelled, *extra).order_by(None)
                            .order_by(*order).limit(count)).all())

    def item(row: Any) -> Any:
        return row[0] if width == 1 else tuple(row[:width])

    def key_of(row: Any) -> str:
        return encode_cursor(list(row[width:width + len(keys)]))

    if before:
        bound = decode_cursor(before, len(keys), "before")
        rows = run(_after(keys, bound, not descending), True, limit + 1)
        if rows:
            page = list(reversed(rows[:limit]))
            return Page(items=[item(row) for row in page], next_cursor=key_of(page[-1]),
                        prev_cursor=key_of(page[0]) if len(rows) > limit else None)
        cursor = None  # nothing before it: the first page
    if not cursor:
        rows = run(None, False, limit + 1)
    else:
        bound = decode_cursor(cursor, len(keys))
        # whether a previous page exists (a row at or before the cursor) rides along in the
        # page's own statement: one uncorrelated EXISTS, evaluated once, not a second query
        row, at = (tuple_(*keys), tuple_(*bound)) if len(keys) > 1 else (keys[0], bound[0])
        earlier = statement.where(row >= at if descending else row <= at).exists()
        rows = run(_after(keys, bound, descending), False, limit + 1,
                   earlier.label("_crm_earlier"))
    return page_of(rows, width, len(keys), limit, bool(cursor))


def page_of(rows: list[Any], width: int, keys: int, limit: int, after_cursor: bool) -> Page:
    """The page of rows read forwards by keyset, as ``paginate`` answers it: each row holds
    the ``width`` selected items, then the ``keys`` key columns, then (``after_cursor``)
    whether a row lies at or before the cursor; at most ``limit + 1`` rows, the last only
    telling that a next page exists. For a list that runs its own keyset statement."""
    def item(row: Any) -> Any:
        return row[0] if width == 1 else tuple(row[:width])

    def key_of(row: Any) -> str:
        return encode_cursor(list(row[width:width + keys]))

    items = [item(row) for row in rows[:limit]]
    next_cursor = key_of(rows[limit - 1]) if len(rows) > limit else None
    prev_cursor = key_of(rows[0]) if after_cursor and rows and rows[0][-1] else None
    return Page(items=items, next_cursor=next_cursor, prev_cursor=prev_cursor)


def page_error(error: PageError) -> Any:
    """On an HTML GET: back to the first page (no ``cursor``/``before``) with a notice.

    Anything else returns None: the caller answers as for any invalid input."""
    if request.method != "GET" or not (set(request.args) & {"cursor", "before", "limit"}):
        return None
    args = [(key, value) for key, value in request.args.items(multi=True)
            if key not in ("cursor", "before", "limit")]
    flash(_("That page link is out of date or not valid; showing the first page."), "warning")
    query = urlencode(args)
    return redirect(request.path + (f"?{query}" if query else ""))


def _after(keys: list[Any], last: list[Any], descending: bool) -> ColumnElement[bool]:
    """``(k1, k2) > (v1, v2)`` (or ``<``) as a row-value comparison: SQLite (3.15+) and
    PostgreSQL seek the ``(k1, k2)`` index with it, while the spelled-out ``k1 > v1 OR (k1 =
    v1 AND k2 > v2)`` made SQLite scan the index from the start (170 ms at a depth of 990,000
    of a million rows, against 4 ms)."""
    if len(keys) == 1:
        return keys[0] < last[0] if descending else keys[0] > last[0]
    row, bound = tuple_(*keys), tuple_(*last)
    return row < bound if descending else row > bound
