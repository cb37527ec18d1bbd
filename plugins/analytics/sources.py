"""What a source of facts is (``Source``, ``Measure``, ``Dimension``) and the sources the
enabled plugins describe through ``crm_analytics_sources``.

Other plugins cannot import this module (they must work without analytics), so they describe
a source as a plain dict with the same keys as the dataclasses below (docs/analytics.md,
"Describing facts"); ``source_from_dict`` turns it into a ``Source`` and names what is
wrong when a key is missing or unknown. SQL pieces are SQLAlchemy expressions built by the
plugin that owns the tables, never text: nothing a caller sends becomes SQL.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import current_app

from crm_core.toolkit import hooks

#: The date buckets every source offers, derived from its date column.
DATE_DIMENSIONS = ("month", "week", "day")
MEASURE_KINDS = ("count", "sum", "avg")
#: How a dimension's values are named: ``choice`` (its ``choices``), ``user`` and
#: ``department`` (names looked up in the kernel), ``labels`` (its ``labels`` function),
#: ``text`` (the value itself).
DIMENSION_KINDS = ("choice", "user", "department", "labels", "text")


class SourceError(ValueError):
    """A plugin described a source the analytics plugin cannot use (a startup-time bug)."""


@dataclass(frozen=True)
class Measure:
    """A number over a source's rows: ``count`` of rows, ``sum`` or ``avg`` of ``expr``
    (an integer expression). Values are shown divided by ``divisor`` with ``places``
    decimals (money in fen: divisor 100, places 2 → yuan to the fen)."""

    id: str
    label: str
    kind: str = "count"
    expr: Any = None
    divisor: int = 1
    places: int = 0
    unit: str = ""


@dataclass(frozen=True)
class Dimension:
    """A way to group a source's rows: ``expr`` (a SQL expression) and how its values are
    named (``kind``: see ``DIMENSION_KINDS``); ``drill``, the owning plugin's list filtered
    by a value (``"/sales/orders?owner_id={value}"``), when that list has the filter."""

    id: str
    label: str
    expr: Any
    kind: str = "text"
    choices: Mapping[str, str] = field(default_factory=dict)
    labels: Callable[[Any, list[Any]], dict[Any, str]] | None = None
    drill: str = ""


@dataclass(frozen=True)
class Source:
    """A set of facts: rows of ``table`` (a model or a join) that match ``where``, dated by
    ``date`` (a stored UTC time), in the data scope of ``scope_model`` (a model declaring
    ``DataScope``, part of ``table``). ``key`` (a record id column) and ``events``
    (``{event hook name: the argument holding that id}``) let the rollups of the day a record
    counts on be refreshed when the owning plugin tells of a change. ``pairs`` names pairs
    of dimensions (``("priority", "ticket_type")``) rolled up together per month, so a
    two-dimension query of such a pair is read from the rollups."""

    id: str
    label: str
    table: Any
    scope_model: type
    date: Any
    where: tuple[Any, ...] = ()
    measures: tuple[Measure, ...] = ()
    dimensions: tuple[Dimension, ...] = ()
    key: Any = None
    events: Mapping[str, str] = field(default_factory=dict)
    pairs: tuple[tuple[str, str], ...] = ()
    plugin: str = ""

    def measure(self, measure_id: str) -> Measure | None:
        """The measure named ``measure_id``, if any."""
        return next((m for m in self.measures if m.id == measure_id), None)

    def dimension(self, dimension_id: str) -> Dimension | None:
        """The (non-date) dimension named ``dimension_id``, if any."""
        return next((d for d in self.dimensions if d.id == dimension_id), None)

    @property
    def dimension_ids(self) -> tuple[str, ...]:
        """Every dimension a query may name: the date buckets, then the source's own."""
        return (*DATE_DIMENSIONS, *(d.id for d in self.dimensions))

    def scope_key(self, dimension_id: str) -> str | None:
        """``"owner_id"`` or ``"department_id"`` when the dimension is the scope model's
        owner or department column: every rollup row keeps those, so no rollup of its own
        is needed for it."""
        dimension = self.dimension(dimension_id)
        if dimension is None:
            return None
        if dimension.expr is self.owner_column:
            return "owner_id"
        if self.department_column is not None and dimension.expr is self.department_column:
            return "department_id"
        return None

    @property
    def rolled_dimensions(self) -> tuple[str, ...]:
        """The dimensions with rollups of their own (not the owner or department)."""
        return tuple(d.id for d in self.dimensions if self.scope_key(d.id) is None)

    def pair_key(self, first: str, second: str) -> str | None:
        """``"a|b"``: the declared pair holding both dimensions (either order), or None."""
        for pair in self.pairs:
            if set(pair) == {first, second}:
                return f"{pair[0]}|{pair[1]}"
        return None

    @property
    def owner_column(self) -> Any:
        """The scope model's owner column (the ``owner_id`` of the rollups)."""
        return getattr(self.scope_model, self.scope_model.__data_scope__.owner)

    @property
    def department_column(self) -> Any:
        """The scope model's department column, or None when it has none."""
        name = self.scope_model.__data_scope__.department
        return getattr(self.scope_model, name) if name else None


def _build(cls: type, data: Mapping[str, Any], where: str) -> Any:
    names = set(cls.__dataclass_fields__)
    unknown = sorted(set(data) - names)
    if unknown:
        raise SourceError(f"{where}: unknown key(s) {', '.join(unknown)}")
    try:
        return cls(**data)
    except TypeError as error:
        raise SourceError(f"{where}: {error}") from None


def source_from_dict(data: Mapping[str, Any] | Source, plugin: str = "") -> Source:
    """A ``Source`` from a plugin's plain description (or the ``Source`` itself)."""
    if isinstance(data, Source):
        return data
    where = f"analytics source {data.get('id', '?')!r} of {plugin or 'a plugin'}"
    data = dict(data)
    measures = tuple(m if isinstance(m, Measure) else _build(Measure, m, where)
                     for m in data.pop("measures", ()))
    dimensions = tuple(d if isinstance(d, Dimension) else _build(Dimension, d, where)
                       for d in data.pop("dimensions", ()))
    data["where"] = tuple(data.get("where", ()))
    data["pairs"] = tuple(tuple(pair) for pair in data.get("pairs", ()))
    source = _build(Source, {**data, "measures": measures, "dimensions": dimensions,
                             "plugin": plugin}, where)
    for measure in measures:
        if measure.kind not in MEASURE_KINDS or (measure.kind != "count" and measure.expr is None):
            raise SourceError(f"{where}: measure {measure.id!r} needs a kind of "
                              f"{MEASURE_KINDS} and, unless it counts, an expr")
    for dimension in dimensions:
        if dimension.kind not in DIMENSION_KINDS or dimension.id in DATE_DIMENSIONS:
            raise SourceError(f"{where}: dimension {dimension.id!r} has a date bucket's name "
                              f"or a kind not in {DIMENSION_KINDS}")
    if getattr(source.scope_model, "__data_scope__", None) is None:
        raise SourceError(f"{where}: scope_model must declare DataScope")
    for pair in source.pairs:
        if len(pair) != 2 or pair[0] == pair[1] \
                or any(name not in source.rolled_dimensions for name in pair):
            raise SourceError(f"{where}: pair {pair!r} must name two dimensions of the "
                              "source other than its owner and department")
    return source


def all_sources() -> dict[str, Source]:
    """``{id: Source}`` of every enabled plugin, in the order the plugins load; a duplicate
    id is an error naming both plugins. Built once per app (the descriptions hold only SQL
    expressions, so they are the same for every request)."""
    cached = current_app.extensions.get("analytics_sources")
    if cached is not None:
        return cached
    sources: dict[str, Source] = {}
    caller = hooks()
    if hasattr(caller, "crm_analytics_sources"):
        for impl in reversed(caller.crm_analytics_sources.get_hookimpls()):
            for item in impl.function() or ():
                source = source_from_dict(item, impl.plugin_name)
                if source.id in sources:
                    raise SourceError(f"analytics source {source.id!r} is described by both "
                                      f"{sources[source.id].plugin} and {source.plugin}")
                sources[source.id] = source
    current_app.extensions["analytics_sources"] = sources
    return sources
