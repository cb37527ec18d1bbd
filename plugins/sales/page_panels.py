"""Other plugins' panels on a sales detail page (the hooks ``crm_sales_order_panels`` and
``crm_sales_opportunity_panels``): each answer is checked, sorted by its ``order`` and marked
safe; a plugin that fails is logged and left out, so the page always opens. The template
``sales/_plugin_panels.html`` draws them."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from markupsafe import Markup

from crm_core.toolkit import hooks

log = logging.getLogger(__name__)


def hook_panels(hook: str, page: str, **arguments: Any) -> list[dict[str, Any]]:
    """The panels the implementations of ``hook`` answer for ``arguments`` (each gets only the
    arguments it names), in display order; ``page`` names the page in the log."""
    caller = getattr(hooks(), hook, None)
    if caller is None:
        return []
    found: list[dict[str, Any]] = []
    for impl in reversed(caller.get_hookimpls()):
        if impl.hookwrapper or impl.wrapper:
            continue
        try:
            answer = impl.function(**{name: arguments[name] for name in impl.argnames})
        except Exception:  # noqa: BLE001 - another plugin's bug must not break the page
            log.exception("Plugin %s failed in %s; the %s page is shown without its panel.",
                          impl.plugin_name, hook, page)
            continue
        found.extend(dict(item) for item in answer or ()
                     if isinstance(item, Mapping) and "html" in item)
    found.sort(key=lambda panel: (panel.get("order", 100), str(panel.get("id", ""))))
    return [{**panel, "html": Markup(panel["html"])} for panel in found]


def opportunity_panels(opportunity_id: int, user: Any) -> list[dict[str, Any]]:
    """The panels other plugins show on opportunity ``opportunity_id`` to ``user``."""
    return hook_panels("crm_sales_opportunity_panels", "opportunity",
                       opportunity_id=opportunity_id, user=user)
