"""Links to the sales pages of other features, built only when the page exists (a feature
that is not there leaves its rows without a link instead of breaking the customer page)."""

from __future__ import annotations

from typing import Any

from flask import url_for
from werkzeug.routing import BuildError


def link(endpoint: str, **values: Any) -> str | None:
    """``url_for(endpoint, **values)``, or None when no such page is registered."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def customer_page(customer_id: int) -> str | None:
    """The customer's 360° page (where a "new ..." form returns to)."""
    return link("customers.detail", customer_id=customer_id)
