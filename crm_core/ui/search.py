"""The global search: every plugin answers through ``crm_search``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app
from flask_login import current_user

from ..api.endpoint import api_endpoint
from ..api.pagination import Page
from ..api.schemas import SearchHitOut, SearchQuery
from ..plugins import collect
from ..registry import SearchHit

bp = Blueprint("core_search", __name__)
MAX_LIMIT = 50


def search(query: str, user: Any, limit: int = 20) -> list[SearchHit]:
    """Hits from every enabled plugin for ``query``, in plugin load order, at most ``limit``."""
    query = query.strip()
    if not query:
        return []
    hits = [hit for _plugin, hit in collect(current_app.extensions["crm"].pm, "crm_search",
                                            query=query, user=user, limit=limit)
            if isinstance(hit, SearchHit)]
    return hits[:limit]


@api_endpoint(bp, "/api/v1/search", query=SearchQuery, response=SearchHitOut, page=True,
              tags=["search"])
def search_api(query: dict[str, Any]) -> Page:
    """Search every enabled plugin: ``{"items": [{kind, title, url, subtitle}]}``.

    ``q`` is any fragment; at most ``limit`` (1–50) hits, so ``next_cursor`` is always null.
    """
    return Page(items=search(query["q"], current_user, query["limit"]))
