"""The list's total and the rows a page shows ("Customers 51–100 of about 1,000,000"),
loaded by htmx after the page so the list never waits for it; and the cities of a province,
which the city filter suggests.

The total is exact up to 10,000 customers and the database's estimate above
(``toolkit.count_rows``): a bounded count and a sample, never a count of every customer.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from markupsafe import escape

from crm_core.toolkit import Count, count_rows, db, require_permission

from ..blueprint import bp
from ..records.regions import cities_of
from . import bulk_actions
from .views import VIEW, filter_form, page_number, position

__all__ = ["list_count", "province_cities", "total_text"]

def total_text(count: Count, rows: tuple[int, int] | None) -> str:
    """"Customers 21–40 of 60" (of about / more than N), or "60 customers" without the
    rows shown."""
    total = f"{count.value:,}"
    if rows is not None:
        first, last = f"{rows[0]:,}", f"{rows[1]:,}"
        if count.exact:
            return _("Customers %(first)s–%(last)s of %(total)s", first=first, last=last,
                     total=total)
        if count.estimated:
            return _("Customers %(first)s–%(last)s of about %(total)s", first=first,
                     last=last, total=total)
        return _("Customers %(first)s–%(last)s of more than %(total)s", first=first,
                 last=last, total=total)
    if count.exact:
        return ngettext("%(total)s customer", "%(total)s customers", count.value, total=total)
    if count.estimated:
        return _("About %(total)s customers", total=total)
    return _("More than %(total)s customers", total=total)


@bp.get("/count", endpoint="list_count")
@require_permission(VIEW)
def list_count() -> Any:
    """The list's total (within the user's scope and the list's filters), with the rows of
    the page the list shows when ``page`` and ``shown`` are given; nothing for a quick
    search (it shows its best matches) or filters that are not valid."""
    form, _segment = filter_form(request.args, warn=False)
    if form.filter_errors() or (form.q.data or "").strip():
        return ""
    _sort, _descending, size = form.view_settings()
    count = count_rows(db.session, bulk_actions.targets(current_user, None, form.filters()))
    shown = request.args.get("shown", "")
    rows = position(page_number(request.args), size,
                    min(int(shown), size) if shown.isdigit() and len(shown) <= 4 else 0)
    return str(escape(total_text(count, rows)))


@bp.get("/filter-cities", endpoint="filter_cities")
@require_permission(VIEW)
def province_cities() -> Any:
    """``{"cities": [...]}``: the cities of ``?province=`` (its name, short name, English
    or pinyin), for the city filter's suggestions; [] for an unknown province."""
    return {"cities": cities_of(request.args.get("province", "")[:50])}
