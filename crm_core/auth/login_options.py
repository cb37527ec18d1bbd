"""Other ways to sign in, offered by plugins on the login page (``crm_login_options``):
"Sign in with DingTalk" and the like. Each answer is checked (a label, a path on this site,
an optional Bootstrap icon name); a plugin that raises is logged and left out, so the login
page always opens."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from flask import current_app

from ..edge.paths import same_site_path

log = logging.getLogger(__name__)
ICON = re.compile(r"^[a-z0-9-]{1,40}$")


def login_options() -> list[dict[str, Any]]:
    """The valid options every plugin offers, in plugin load order:
    ``[{"label", "url", "icon"}]`` (``icon`` "" when none or not a Bootstrap icon name)."""
    caller = getattr(current_app.extensions["crm"].pm.hook, "crm_login_options", None)
    if caller is None:
        return []
    found: list[dict[str, Any]] = []
    for impl in reversed(caller.get_hookimpls()):
        if impl.hookwrapper or impl.wrapper:
            continue
        try:
            answer = impl.function()
        except Exception:  # noqa: BLE001 - a plugin's bug must not close the login page
            log.exception("Plugin %s failed in crm_login_options; the login page is shown "
                          "without its options.", impl.plugin_name)
            continue
        for item in answer or ():
            if not isinstance(item, Mapping):
                continue
            url = same_site_path(str(item.get("url") or ""))
            label = str(item.get("label") or "").strip()
            if url is None or not label:
                log.warning("Plugin %s offered a login option without a label or with a "
                            "link off this site; it is left out.", impl.plugin_name)
                continue
            icon = str(item.get("icon") or "")
            found.append({"label": label[:80], "url": url,
                          "icon": icon if ICON.match(icon) else ""})
    return found
