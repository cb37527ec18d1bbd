"""Reading a resource's records: scope, filters, quick search, sorts, keyset pages, counts
and the related names of a page.

A list request costs the scope look-up, one page statement (keyset on ``(sort, id)``, never
``OFFSET``) and one statement per relation shown for the page's names. The count is its own
request (the list page loads it afterwards): exact up to ``COUNT_CAP`` rows, else the
database's estimate (``counting``), never a ``COUNT(*)`` of a huge table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Select, String, cast, exists, or_, select
from sqlalchemy.orm import Session

from ..api.pagination import Page, paginate
from ..custom_fields.records import (
    resource_conditions,
    resource_filters,
    resource_sort_field,
    resource_sort_names,
    resource_sorted_page,
)
from ..custom_fields.sorting import refusal
from ..custom_fields.values import PREFIX as CUSTOM_PREFIX
from ..edge.ints import INT32_MAX, INT64_MAX, INT64_MIN
from ..rbac.scope import scoped
from ..rbac.users import user_names
from .counting import COUNT_CAP, Count, count_rows
from .declaration import Resource

SEARCH_MAX = 100
#: The query argument naming a preset (``?view=mine``); ``all`` (or a saved view's id, all
#: digits) chooses none.
PRESET_ARG = "view"
ALL_PRESETS = "all"


class FilterErrors(Exception):
    """Refused filter values: ``errors`` maps each query argument to its messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


def filter_args(resource: Resource) -> list[str]:
    """The query arguments the resource's filters read."""
    names = []
    for item in resource.filters:
        if item.kind == "range":
            names += [f"{item.name}_min", f"{item.name}_max"]
        elif item.kind == "date_range":
            names += [f"{item.name}_from", f"{item.name}_to"]
        else:
            names.append(item.name)
    if resource.presets:
        names.append(PRESET_ARG)
    return names


def _id(value: str) -> int | None:
    text_ = value.strip()
    if text_.isdigit() and len(text_) <= 10 and 1 <= int(text_) <= INT32_MAX:
        return int(text_)
    return None


def _number(value: str) -> Decimal | None:
    try:
        number = Decimal(value.strip())
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite() or not INT64_MIN <= number <= INT64_MAX:
        return None
    return number


def _day(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip()) if len(value.strip()) == 10 else None
    except ValueError:
        return None


def parse_filters(resource: Resource, args: Mapping[str, Any]) -> dict[str, Any]:
    """The filter values of ``args`` checked (ids, numbers, days, choices); raises
    ``FilterErrors`` naming each refused argument. Unset filters are left out."""
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for item in resource.filters:
        if item.kind == "range":
            for suffix in ("min", "max"):
                arg = f"{item.name}_{suffix}"
                raw = str(args.get(arg) or "")
                if raw:
                    try:
                        number = _number(raw) if item.parse is None else \
                            item.parse(raw[:SEARCH_MAX])
                    except (ValueError, ArithmeticError) as exc:
                        errors[arg] = [str(exc) or str(_l("Not a number."))]
                        continue
                    if number is None:
                        errors[arg] = [str(_l("Not a number."))]
                    else:
                        values[arg] = number
        elif item.kind == "date_range":
            for suffix in ("from", "to"):
                arg = f"{item.name}_{suffix}"
                raw = str(args.get(arg) or "")
                if raw:
                    day = _day(raw)
                    if day is None:
                        errors[arg] = [str(_l("Not a date (YYYY-MM-DD)."))]
                    else:
                        values[arg] = day
        else:
            raw = str(args.get(item.name) or "")
            if not raw:
                continue
            if item.kind == "choice":
                allowed = {str(value): value for value, _label in
                           resource.field(item.name).choices or ()}
                if raw not in allowed:
                    errors[item.name] = [str(_l("Not a valid choice."))]
                else:
                    values[item.name] = allowed[raw]
            else:
                number = _id(raw)
                if number is None:
                    errors[item.name] = [str(_l("Not a valid choice."))]
                else:
                    values[item.name] = number
    custom = resource_filters(resource.model, args, errors)  # ?custom.<key>=
    if custom:
        values["custom"] = custom
    preset = str(args.get(PRESET_ARG) or "") if resource.presets else ""
    if preset and preset != ALL_PRESETS and not preset.isdigit():
        if resource.preset(preset) is None:
            errors[PRESET_ARG] = [str(_l("Not a valid choice."))]
        else:
            values[PRESET_ARG] = preset
    if errors:
        raise FilterErrors(errors)
    return values


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def conditions(resource: Resource, values: Mapping[str, Any]) -> list[Any]:
    """The WHERE conditions of checked filter ``values``."""
    model, found = resource.model, resource_conditions(resource.model, values.get("custom"))
    for item in resource.filters:
        column = getattr(model, item.name, None)
        if item.kind == "range":
            if f"{item.name}_min" in values:
                found.append(column >= values[f"{item.name}_min"])
            if f"{item.name}_max" in values:
                found.append(column <= values[f"{item.name}_max"])
        elif item.kind == "date_range":
            if f"{item.name}_from" in values:
                found.append(column >= _day_start(values[f"{item.name}_from"]))
            if f"{item.name}_to" in values and values[f"{item.name}_to"] < dt.date.max:
                end = values[f"{item.name}_to"] + dt.timedelta(days=1)
                found.append(column < _day_start(end))
        elif item.name in values:
            if item.kind == "tag" and item.through is not None:
                link, record_column, tag_column = item.through
                found.append(exists().where(getattr(link, record_column) == model.id,
                                            getattr(link, tag_column) == values[item.name]))
            elif item.kind != "tag":
                found.append(column == values[item.name])
    return found


def statement(resource: Resource, user: Any, values: Mapping[str, Any] | None = None,
              query: str = "", *, every: bool = False) -> Select[Any]:
    """The user's records of ``resource`` (not deleted), filtered and searched; ``every``
    (a job the system started) reads past the data scope."""
    model = resource.model
    found = select(model) if every else scoped(select(model), model, user)
    if resource.soft_delete:
        found = found.where(getattr(model, resource.soft_delete).is_(None))
    for condition in conditions(resource, values or {}):
        found = found.where(condition)
    preset = resource.preset((values or {}).get(PRESET_ARG)) if resource.presets else None
    if preset is not None:
        found = found.where(preset.condition(user))
    query = query.strip()[:SEARCH_MAX]
    if query and resource.search:
        found = found.where(or_(*(_text(getattr(model, name)).icontains(query, autoescape=True)
                                  for name in resource.search)))
    return found


def _text(column: Any) -> Any:
    """A column as text for quick search (a JSON list of phones is searched as its text)."""
    return cast(column, String) if isinstance(column.type, JSON) else column


def sort_of(resource: Resource, sort: str | None, user: Any = None) -> tuple[str, bool]:
    """The sort (field name, descending) of ``?sort=`` (``-name`` descends; ``custom.<key>``
    a custom field ``user`` may sort by); unknown sorts fall back to the declared default."""
    for candidate in (sort or "", resource.default_sort):
        name = candidate.lstrip("-")
        if name == "id" or name in resource.sorts or \
                resource_sort_field(resource.model, candidate, user) is not None:
            return name, candidate.startswith("-")
    return "id", True


def sort_error(resource: Resource, sort: str | None, user: Any) -> str | None:
    """Why ``?sort=`` is refused (not a declared sort nor a custom field ``user`` may sort
    by), or None."""
    if not sort or sort.lstrip("-") in ("id", *resource.sorts) or \
            resource_sort_field(resource.model, sort, user) is not None:
        return None
    return refusal(sort, ["id", *resource.sorts], resource_sort_names(resource.model, user))


def list_page(session: Session, resource: Resource, user: Any, *, values: Mapping[str, Any],
              query: str = "", sort: str | None = None, limit: int | None = None,
              cursor: str | None = None, before: str | None = None) -> Page:
    """One keyset page of the user's records: after ``cursor`` (a page's ``next_cursor``)
    or before ``before`` (a page's ``prev_cursor``); a bad one raises a 4xx naming it. A
    chosen preset's sort applies when no other is asked for."""
    preset = resource.preset(values.get(PRESET_ARG)) if resource.presets else None
    name, descending = sort_of(resource, sort or (preset.sort if preset else None), user)
    model = resource.model
    if name.startswith(CUSTOM_PREFIX):  # a custom field's index, keyset as any other sort
        return resource_sorted_page(session, model, name, user,
                                    statement(resource, user, values, query),
                                    descending=descending, limit=limit or resource.page_size,
                                    cursor=cursor or None, before=before or None)
    key = None if name == "id" else getattr(model, name)
    return paginate(session, statement(resource, user, values, query), sort=key,
                    id_column=model.id, descending=descending,
                    limit=limit or resource.page_size, cursor=cursor or None,
                    before=before or None)


def count(session: Session, found: Select[Any], cap: int = COUNT_CAP) -> Count:
    """How many rows ``found`` has: exact up to ``cap``, above it the database's estimate
    ("about"), else "more than ``cap``" (``counting.count_rows``)."""
    return count_rows(session, found, cap)


def related_names(session: Session, resource: Resource, records: list[Any],
                  columns: list[str]) -> dict[str, dict[Any, str]]:
    """``{field: {id: name}}`` for the relation fields among ``columns``: one statement per
    relation for the whole page; the computed columns among them add theirs."""
    names: dict[str, dict[Any, str]] = {}
    for column in columns:
        try:
            item = resource.field(column)
        except KeyError:
            continue
        if item.relation is None:
            continue
        ids = {getattr(record, column) for record in records} - {None}
        if not ids:
            names[column] = {}
            continue
        names[column] = _names(session, item, ids)
    names.update(resource.computed_values(session, records, columns))
    return names


def relation_target(item: Any) -> tuple[Any, Any]:
    """The relation's model and the column of its names (``"user"``: the kernel's users)."""
    if item.relation == "user":
        from ..auth.models import User

        return User, User.username
    return item.relation, getattr(item.relation, item.relation_label)


def _names(session: Session, item: Any, ids: set[Any]) -> dict[Any, str]:
    if item.relation == "user":
        return user_names(session, ids)
    target, label = relation_target(item)
    return {row[0]: row[1] for row in session.execute(
        select(target.id, label).where(target.id.in_(ids)))}

