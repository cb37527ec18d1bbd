"""Custom fields in analytics: the sources a reader queries, each extended at query time with
the custom fields of its scope model that the reader may see.

A visible field of the scope model becomes a dimension ``cf_<key>`` (single choice, yes/no,
user, text, phone, e-mail, URL) and, when the source's rows are the scope model's records
themselves (``source.table is source.scope_model``), a number field (integer, decimal,
money) becomes two measures ``cf_<key>_sum`` and ``cf_<key>_avg``. A source whose rows are
other records (an order's lines) gets the dimensions only: a line would repeat its order's
value. Multiple-choice, long-text, date and time fields are left out.

These dimensions and measures are never rolled up (the rollups are written from the
static ``all_sources()`` only): a query naming one is read from the records, which
``rolled.plan`` decides by itself since the rollup state does not name them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import BigInteger, Numeric, case, cast, func, literal_column, type_coerce
from sqlalchemy.orm import Session

from crm_core.toolkit import custom_fields

from .sources import Dimension, Measure, Source, all_sources

PREFIX = "cf_"
#: Field types shown as a dimension, with the dimension's kind.
DIMENSION_TYPES = {"choice": "choice", "boolean": "choice", "user": "user", "text": "text",
                   "phone": "text", "email": "text", "url": "text"}
NUMBER_TYPES = ("integer", "decimal", "money")
#: Yes/no values as the dimension names them on every database.
YES, NO = "true", "false"


def _boolean(expr: Any, dialect: str) -> Any:
    """``'true'``/``'false'`` of a yes/no value: SQLite's ``json_extract`` gives 1/0,
    PostgreSQL's ``->>`` the text. Literal SQL, no bound parameters: PostgreSQL matches a
    GROUP BY expression to the selected one only when their text is the same."""
    yes, no = ("'true'", "'false'") if dialect == "postgresql" else ("1", "0")
    return case((expr == literal_column(yes), literal_column(f"'{YES}'")),
                (expr == literal_column(no), literal_column(f"'{NO}'")))


def _dimension(item: Any, expr: Any, dialect: str, language: str) -> Dimension:
    kind = DIMENSION_TYPES[item.type]
    label = item.label(language)
    if item.type == "boolean":
        return Dimension(f"{PREFIX}{item.key}", label, _boolean(expr, dialect), "choice",
                         {YES: _("Yes"), NO: _("No")})
    if item.type == "choice":
        # a removed option stays a key: records keep it, shown "… (removed)"
        choices = {option["value"]: custom_fields.display(item, option["value"])
                   for option in item.options or []}
        return Dimension(f"{PREFIX}{item.key}", label, expr, kind, choices)
    return Dimension(f"{PREFIX}{item.key}", label, expr, kind)


def _measures(item: Any, expr: Any, language: str) -> tuple[Measure, ...]:
    """The sum and the average of a number field, as integer SQL (fen, hundredths or the
    whole number)."""
    label = item.label(language)
    if item.type == "integer":
        value, shown = cast(expr, BigInteger), {}
    else:
        number = type_coerce(expr, Numeric())
        value = cast(number if item.type == "money"
                     else func.round(number * literal_column("100")), BigInteger)
        shown = {"divisor": 100, "places": 2, **({"unit": "CNY"} if item.type == "money"
                                                  else {})}
    return (Measure(f"{PREFIX}{item.key}_sum", _("%(field)s (sum)", field=label), "sum",
                    value, **shown),
            Measure(f"{PREFIX}{item.key}_avg", _("%(field)s (average)", field=label), "avg",
                    value, **shown))


def extend_source(session: Session, user: Any, source: Source) -> Source:
    """``source`` with the dimensions and measures of the custom fields of its scope model
    that ``user`` may see (the source itself when there are none)."""
    kind = custom_fields.kind_of_model(source.scope_model)
    if kind is None:
        return source
    fields = custom_fields.visible_fields(session, kind.key, user)
    if not fields:
        return source
    dialect = session.get_bind().dialect.name
    language = custom_fields.locale()
    taken = {*source.dimension_ids, *(m.id for m in source.measures)}
    own_rows = source.table is source.scope_model
    dimensions, measures = list(source.dimensions), list(source.measures)
    for item in fields:
        expr = custom_fields.sort_expression(session, kind, item)
        if item.type in DIMENSION_TYPES and f"{PREFIX}{item.key}" not in taken:
            dimensions.append(_dimension(item, expr, dialect, language))
        elif item.type in NUMBER_TYPES and own_rows:
            measures += [m for m in _measures(item, expr, language) if m.id not in taken]
    return replace(source, dimensions=tuple(dimensions), measures=tuple(measures))


def user_sources(session: Session, user: Any,
                 sources: Mapping[str, Source] | None = None) -> dict[str, Source]:
    """``{id: Source}``: the static sources (``all_sources()`` unless given), each with the
    custom fields ``user`` may see (``extend_source``). For queries, the builder and
    scheduled reports; never for the rollups, which stay on the static sources."""
    sources = all_sources() if sources is None else sources
    return {key: extend_source(session, user, source) for key, source in sources.items()}


def user_source(session: Session, user: Any, source_id: str) -> Source | None:
    """One source as ``user`` queries it (see ``user_sources``), or None when no enabled
    plugin offers it."""
    source = all_sources().get(source_id)
    return None if source is None else extend_source(session, user, source)
