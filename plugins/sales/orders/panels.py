"""Other plugins' panels on the order page (the hook ``crm_sales_order_panels``), collected as
``page_panels`` does for every sales page: checked, sorted by their ``order``, marked safe; a
plugin that fails is logged and left out, so the order page always opens."""

from __future__ import annotations

from typing import Any

from ..page_panels import hook_panels


def order_panels(order_id: int, user: Any) -> list[dict[str, Any]]:
    """The panels other plugins show on order ``order_id`` to ``user``, in display order."""
    return hook_panels("crm_sales_order_panels", "order", order_id=order_id, user=user)
