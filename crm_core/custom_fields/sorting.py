"""Lists sorted by a custom field: ``?sort=custom.<key>`` (``-custom.<key>`` descends) for a
filterable field of an indexable type, read by keyset through the field's expression index.

The index is ``(value, *index_with)`` (``storage.create_index``), so a page is ordered by
exactly those keys and its cursor holds them: one index seek at any depth, no temporary
sort. Records without a value come last in both directions, on SQLite and PostgreSQL alike
(their own orders of NULL differ): the list reads the records with a value, then, once they
run out, those without (``value IS NULL``, the same index). After a cursor's key it reads
the key's ties (the same value, the other keys beyond the cursor's), then the values beyond
it: each an index seek on both databases. A cursor whose value is null is a place among the
records without one.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from marshmallow import ValidationError, validate
from sqlalchemy import Select, literal, tuple_
from sqlalchemy.orm import Session

from ..api.pagination import MAX_LIMIT, Page, PageError, decode_cursor, encode_cursor
from . import storage
from .models import CustomField
from .types import INDEXABLE, NUMBER_TYPES
from .values import PREFIX, visible_fields

#: ``custom.<key>`` or ``-custom.<key>`` (the key as a field's key is spelled).
CUSTOM_SORT = re.compile(r"-?custom\.[a-z][a-z0-9_]{0,39}")


def is_custom_sort(sort: Any) -> bool:
    """Whether ``sort`` is spelled as a custom field's sort (known or not)."""
    return isinstance(sort, str) and CUSTOM_SORT.fullmatch(sort) is not None


def sortable(item: CustomField) -> bool:
    """Whether a list may sort by the field: filterable (so it has its index) and of a
    type the index can order."""
    return bool(item.filterable) and item.type in INDEXABLE


def sort_fields(session: Session, kind: str, user: Any) -> list[CustomField]:
    """The fields of ``kind`` that ``user`` may see and sort by."""
    return [item for item in visible_fields(session, kind, user) if sortable(item)]


def sort_field(session: Session, kind: str, sort: Any, user: Any) -> CustomField | None:
    """The field ``sort`` (``custom.<key>``, ``-`` or not) names if ``user`` may sort by it,
    else None."""
    if not is_custom_sort(sort):
        return None
    key = str(sort).lstrip("-")[len(PREFIX):]
    return next((item for item in sort_fields(session, kind, user) if item.key == key), None)


def sort_names(session: Session, kind: str, user: Any) -> list[str]:
    """``custom.<key>`` of every field ``user`` may sort by (for a refusal's message)."""
    return [f"{PREFIX}{item.key}" for item in sort_fields(session, kind, user)]


def refusal(sort: str, builtin: list[str], custom: list[str]) -> str:
    """The message of a refused sort, naming the ones the list knows."""
    return _("Not a sort of this list: %(sort)s. Sort by one of: %(names)s "
             "('-' before a name descends).", sort=sort[:60],
             names=", ".join([*builtin, *custom]))


def _value(dialect: str, item: CustomField, value: Any, field: str) -> Any:
    """A cursor's field value as the expression compares it (a forged one is refused
    rather than handed to the database as what it cannot compare)."""
    if value is None:
        return None
    bad = PageError({field: ["Not a valid cursor; use the next_cursor or prev_cursor of "
                             "a page."]})
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str)) or (
            isinstance(value, float) and not math.isfinite(value)):
        raise bad
    if dialect != "postgresql":  # json_extract answers the JSON's own number or text
        return float(value) if isinstance(value, Decimal) else value
    if item.type not in NUMBER_TYPES:  # ->> answers text
        if not isinstance(value, str):
            raise bad
        return value
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise bad from None
    if not number.is_finite():
        raise bad
    return number


def sorted_page(session: Session, statement: Select[Any], kind: storage.RecordKind,
                item: CustomField, *, descending: bool = False, limit: int = 50,
                cursor: str | None = None, before: str | None = None) -> Page:
    """One keyset page of ``statement`` (a select from ``kind``'s table: a model or its
    columns) ordered by ``item``'s value then the index's other columns, the records
    without a value last; after ``cursor`` or before ``before`` as ``paginate`` reads them
    (a bad one raises ``PageError`` naming it). Items are what the statement selects."""
    if not 1 <= limit <= MAX_LIMIT:
        raise PageError({"limit": [f"Must be between 1 and {MAX_LIMIT}."]})
    if cursor and before:
        raise PageError({"before": ["Give cursor or before, not both."]})
    dialect = session.get_bind().dialect.name
    value = storage.value_expression(dialect, kind.model, item.key, item.type)
    table = kind.model.__table__  # type: ignore[attr-defined]
    keys = [value, *(table.c[name] for name in kind.index_with)]
    labelled = [key.label(f"_crm_key_{index}") for index, key in enumerate(keys)]

    # SQLite seeks an expression index by plain comparisons of the value only (a row value
    # or IS NOT NULL over it scans from the index's start: 130 ms deep in 300,000 rows,
    # against 0.05 ms): "has a value" is ">= -inf" there (numbers, then texts, sort above
    # it; null below), and the rows after a key are its ties, then the values beyond it.
    present = value >= literal(float("-inf")) if dialect == "sqlite" else value.is_not(None)

    def run(conditions: list[Any], ordered: list[Any], down: bool, count: int) -> list[Any]:
        if count < 1:
            return []
        order = [key.desc() if down else key.asc() for key in ordered]
        return list(session.execute(statement.where(*conditions).add_columns(*labelled)
                                    .order_by(None).order_by(*order).limit(count)).all())

    def after(tail: list[Any], bound: list[Any], down: bool) -> Any:
        row, at = tuple_(*tail), tuple_(*bound)
        return row < at if down else row > at

    def part(empty: bool, bound: list[Any] | None, backwards: bool, count: int) -> list[Any]:
        """``count`` rows of the records with (``empty``: without) a value, after (or,
        ``backwards``, before) ``bound`` in the list's order, nearest first."""
        down = descending != backwards
        if empty:  # the value is null throughout: ordered by the other keys (PostgreSQL
            # by all: its IS NULL does not pin the first column for the order)
            ordered = keys if dialect == "postgresql" else keys[1:]
            return run([value.is_(None), *([after(keys[1:], bound[1:], down)]
                                           if bound is not None else [])],
                       ordered, down, count)
        if bound is None:
            return run([present], keys, down, count)
        ties = run([value == bound[0], after(keys[1:], bound[1:], down)], keys[1:], down,
                   count)
        beyond = value < bound[0] if down else value > bound[0]
        return ties + run([present, beyond], keys, down, count - len(ties))

    def forwards(bound: list[Any] | None, count: int) -> list[Any]:
        if bound is not None and bound[0] is None:
            return part(True, bound, False, count)
        rows = part(False, bound, False, count)
        return rows + part(True, None, False, count - len(rows))

    def backwards(bound: list[Any], count: int) -> list[Any]:
        if bound[0] is not None:
            return part(False, bound, True, count)
        rows = part(True, bound, True, count)
        return rows + part(False, None, True, count - len(rows))

    def decoded(text: str, field: str) -> list[Any]:
        bound = decode_cursor(text, len(keys), field)
        return [_value(dialect, item, bound[0], field), *bound[1:]]

    def key_of(row: Any) -> str:
        return encode_cursor(list(row[len(row) - len(keys):]))

    def items(rows: list[Any]) -> list[Any]:
        width = len(rows[0]) - len(keys) if rows else 1
        return [row[0] if width == 1 else tuple(row[:width]) for row in rows]

    if before:
        rows = backwards(decoded(before, "before"), limit + 1)
        if rows:
            page = list(reversed(rows[:limit]))
            return Page(items=items(page), next_cursor=key_of(page[-1]),
                        prev_cursor=key_of(page[0]) if len(rows) > limit else None)
        cursor = None  # nothing before it: the first page
    bound = decoded(cursor, "cursor") if cursor else None
    rows = forwards(bound, limit + 1)
    next_cursor = key_of(rows[limit - 1]) if len(rows) > limit else None
    prev_cursor = None
    if bound is not None and rows:
        first = decoded(key_of(rows[0]), "cursor")
        prev_cursor = key_of(rows[0]) if backwards(first, 1) else None
    return Page(items=items(rows[:limit]), next_cursor=next_cursor, prev_cursor=prev_cursor)


class SortChoice(validate.Validator):
    """An API list's ``sort``: one of ``choices`` or any ``custom.<key>`` spelling (the
    endpoint then checks the field, and refuses it naming ``sort`` as this would)."""

    def __init__(self, choices: list[str]) -> None:
        # not ``choices``: the OpenAPI document would then list them as the only values
        self.names = list(choices)

    def __call__(self, value: Any) -> Any:
        if value in self.names or is_custom_sort(value):
            return value
        raise ValidationError(refusal(str(value), [name for name in self.names
                                                   if not name.startswith("-")], []))
