"""The global search as pages: the results page and the dropdown of top hits as you type."""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask_login import current_user

from ..auth.permissions import require_permission
from ..registry import SearchHit
from .search import search

PAGE_LIMIT = 50
SUGGEST_LIMIT = 8
MAX_QUERY = 200


def _query() -> str:
    return request.args.get("q", "").strip()[:MAX_QUERY]


def group_by_kind(hits: list[SearchHit]) -> list[tuple[str, list[SearchHit]]]:
    """Hits grouped by kind, groups in the order their first hit came."""
    groups: dict[str, list[SearchHit]] = {}
    for hit in hits:
        groups.setdefault(str(hit.kind), []).append(hit)
    return list(groups.items())


@require_permission()
def search_page():  # type: ignore[no-untyped-def]
    """``GET /search?q=``: every plugin's hits for the query, grouped by kind."""
    query = _query()
    hits = search(query, current_user, PAGE_LIMIT) if query else []
    return render_template("core/search.html", query=query, groups=group_by_kind(hits),
                           count=len(hits), limit=PAGE_LIMIT)


@require_permission()
def search_suggest():  # type: ignore[no-untyped-def]
    """``GET /search/suggest?q=``: the top hits as a list for the search box's dropdown."""
    query = _query()
    hits: list[Any] = search(query, current_user, SUGGEST_LIMIT) if query else []
    return render_template("core/_search_suggest.html", query=query, hits=hits)
