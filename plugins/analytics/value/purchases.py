"""The purchases the enabled plugins offer through ``crm_analytics_purchases`` (hookspecs.py):
one row per purchase ``(customer_id, at, amount)``, read set-wise by ``compute.py``.

Analytics imports no other plugin: the description names the rows (a ``Select``), the
customers model whose owner and department decide who sees a customer's value (``customer``,
declaring ``DataScope``), its name column and the 360° page's endpoint.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app, url_for
from sqlalchemy import union_all
from werkzeug.routing import BuildError

from crm_core.toolkit import hooks

from ..sources import SourceError

ROW_COLUMNS = ("customer_id", "at", "amount")


@dataclass(frozen=True)
class Purchases:
    """One plugin's purchases: ``rows`` selects ``customer_id``, ``at`` (a stored UTC time
    or a date) and ``amount`` (fen); ``customer`` is the customers model (scope, names)."""

    id: str
    label: str
    rows: Any
    customer: type
    name: Any
    endpoint: str = "customers.detail"
    plugin: str = ""


def _purchases_from(data: Mapping[str, Any], plugin: str) -> Purchases:
    where = f"analytics purchases {data.get('id', '?')!r} of {plugin or 'a plugin'}"
    unknown = sorted(set(data) - (set(Purchases.__dataclass_fields__) - {"plugin"}))
    if unknown:
        raise SourceError(f"{where}: unknown key(s) {', '.join(unknown)}")
    try:
        purchases = Purchases(**data, plugin=plugin)
    except TypeError as error:
        raise SourceError(f"{where}: {error}") from None
    names = [column.key for column in purchases.rows.selected_columns]
    if names != list(ROW_COLUMNS):
        raise SourceError(f"{where}: rows must select {ROW_COLUMNS}, not {tuple(names)}")
    if getattr(purchases.customer, "__data_scope__", None) is None:
        raise SourceError(f"{where}: customer must be a model declaring DataScope")
    return purchases


def all_purchases() -> list[Purchases]:
    """Every enabled plugin's purchases (built once per app; none without such a plugin)."""
    cached = current_app.extensions.get("analytics_purchases")
    if cached is not None:
        return cached
    found: list[Purchases] = []
    caller = hooks()
    if hasattr(caller, "crm_analytics_purchases"):
        for impl in reversed(caller.crm_analytics_purchases.get_hookimpls()):
            found += [_purchases_from(item, impl.plugin_name) for item in impl.function() or ()]
    customers = {item.customer for item in found}
    if len(customers) > 1:
        raise SourceError("analytics purchases name different customer models: "
                          + ", ".join(item.plugin for item in found))
    current_app.extensions["analytics_purchases"] = found
    return found


def purchase_rows(found: list[Purchases]) -> Any:
    """Every purchase as one subquery ``p(customer_id, at, amount)``."""
    if len(found) == 1:
        return found[0].rows.subquery("p")
    return union_all(*(item.rows for item in found)).subquery("p")


def customer_link(found: list[Purchases], customer_id: int) -> str | None:
    """The customer's 360° page, when the plugin owning it serves one."""
    try:
        return url_for(found[0].endpoint, customer_id=customer_id)
    except (BuildError, IndexError):
        return None
