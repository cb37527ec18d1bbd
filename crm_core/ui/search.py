"""The global search: every plugin answers through ``crm_search``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask_login import current_user

from ..auth.permissions import require_permission
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


@bp.get("/api/v1/search")
@require_permission()
def search_api():  # type: ignore[no-untyped-def]
    """``GET /api/v1/search?q=…&limit=…``: ``{"items": [{kind, title, url, subtitle}]}``."""
    try:
        limit = max(1, min(MAX_LIMIT, int(request.args.get("limit", 20))))
    except ValueError:
        limit = 20
    hits = search(request.args.get("q", ""), current_user, limit)
    return jsonify(items=[hit.__dict__ for hit in hits])
