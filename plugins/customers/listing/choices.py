"""What the list's filters offer to pick instead of typing: the industries and levels the
user's customers have (from the dashboard's counts, so no query reads the customers), the
provinces of the regions table with the chosen province's cities, and the statuses.

A value that is not among them (typed in a link, kept in a saved segment) stays offered and
chosen, so the page never drops a filter it applies.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from ..classification.services import several_stat_counts
from ..records.regions import cities_of, province_names

__all__ = ["STATUSES", "filter_options"]

#: The statuses customers have (new ones are "active"), with their labels.
STATUSES = {"active": _l("Active"), "prospect": _l("Prospect"), "inactive": _l("Inactive"),
            "lost": _l("Lost")}
#: Industries suggested at most, the most used first.
SUGGESTED = 200


def _ranked(counts: Mapping[str, int]) -> list[str]:
    """The non-empty buckets, the most used first (then by name)."""
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [value for value, _count in ordered if value][:SUGGESTED]


def _keep(values: list[Any], current: Any) -> list[Any]:
    """``values`` (texts or (value, label) pairs) with ``current`` added when missing."""
    if not current:
        return values
    known = {value if isinstance(value, str) else value[0] for value in values}
    return values if current in known else [*values, current]


def filter_options(session: Session, *, user: Any, current: Mapping[str, Any]
                   ) -> dict[str, list[Any]]:
    """The choices of the industry (suggestions), province, city (the chosen province's
    cities, as suggestions), level and status filters, for ``user``'s customers;
    ``current`` holds the values the list is filtered by."""
    provinces = province_names()
    province = current.get("province") or ""
    counts = several_stat_counts(session, ("region", "level", "industry"), user=user)
    others = [value for value in _ranked(counts["region"]) if value not in set(provinces)]
    levels = sorted(value for value in counts["level"] if value)
    return {
        "industry": _ranked(counts["industry"]),
        "province": _keep([*provinces, *others], province),
        "city": cities_of(province) if province else [],
        "level": _keep(levels, current.get("level")),
        "status": _keep([(value, str(label)) for value, label in STATUSES.items()],
                        current.get("status")),
    }
