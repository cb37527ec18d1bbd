"""Other plugins' panels on the order page (the hook ``crm_sales_order_panels``): each
answer is checked, sorted by its ``order`` and marked safe; a plugin that fails is logged
and left out, so the order page always opens."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from markupsafe import Markup

from crm_core.toolkit import hooks

log = logging.getLogger(__name__)


def order_panels(order_id: int, user: Any) -> list[dict[str, Any]]:
    """The panels other plugins show on order ``order_id`` to ``user``, in display order."""
    caller = getattr(hooks(), "crm_sales_order_panels", None)
    if caller is None:
        return []
    found: list[dict[str, Any]] = []
    for impl in reversed(caller.get_hookimpls()):
        if impl.hookwrapper or impl.wrapper:
            continue
        arguments = {"order_id": order_id, "user": user}
        try:
            answer = impl.function(**{name: arguments[name] for name in impl.argnames})
        except Exception:  # noqa: BLE001 - another plugin's bug must not break the page
            log.exception("Plugin %s failed in crm_sales_order_panels; the order page is "
                          "shown without its panel.", impl.plugin_name)
            continue
        found.extend(dict(item) for item in answer or ()
                     if isinstance(item, Mapping) and "html" in item)
    found.sort(key=lambda panel: (panel.get("order", 100), str(panel.get("id", ""))))
    return [{**panel, "html": Markup(panel["html"])} for panel in found]
