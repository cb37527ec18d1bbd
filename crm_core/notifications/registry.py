"""The notification kinds and channels the enabled plugins declared, checked once at startup.

``load(app)`` runs when the notifications blueprint is registered (inside ``create_app``), so
a duplicate name or a wrong type stops the app with a message naming the plugins, like every
other registration. The result lives on ``app.extensions["crm_notifications"]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import Flask, current_app

from ..errors import RegistryError
from ..plugins import KERNEL_NAME, collect
from .specs import NotificationChannel, NotificationKind

NAME = re.compile(r"^[a-z][a-z0-9_.]{0,79}$")


@dataclass(frozen=True)
class NotificationRegistry:
    """Kinds and channels by name, each with the plugin that declared it, in load order."""

    kinds: dict[str, tuple[str, NotificationKind]]
    channels: dict[str, tuple[str, NotificationChannel]]

    def kind(self, name: str) -> NotificationKind | None:
        """The kind called ``name``, or None."""
        entry = self.kinds.get(name)
        return entry[1] if entry else None

    def channel(self, name: str) -> NotificationChannel | None:
        """The channel called ``name``, or None."""
        entry = self.channels.get(name)
        return entry[1] if entry else None

    def channel_list(self) -> list[NotificationChannel]:
        """Every channel, in their ``order`` (then name)."""
        return sorted((channel for _plugin, channel in self.channels.values()),
                      key=lambda channel: (channel.order, channel.name))

    def kind_list(self) -> list[NotificationKind]:
        """Every kind, in load order (the kernel's first)."""
        return [kind for _plugin, kind in self.kinds.values()]


def _gather(app: Flask, hook: str, kind: type, label: str) -> dict[str, tuple[str, object]]:
    found: dict[str, tuple[str, object]] = {}
    for plugin, item in collect(app.extensions["crm"].pm, hook):
        if not isinstance(item, kind):
            raise RegistryError(f"plugin {plugin!r}: {hook} returned {item!r}, expected "
                                f"toolkit.{kind.__name__}")
        name = item.name  # type: ignore[attr-defined]
        if not isinstance(name, str) or not NAME.match(name):
            raise RegistryError(f"plugin {plugin!r}: {label} name {name!r} must be lower case "
                                "letters, digits, '_' and '.' (at most 80)")
        if plugin != KERNEL_NAME and not name.startswith(f"{plugin}."):
            raise RegistryError(f"plugin {plugin!r}: {label} {name!r} must start with "
                                f"'{plugin}.'")
        if name in found:
            raise RegistryError(f"{label} {name!r} is registered twice: by plugin "
                                f"{found[name][0]!r} and by plugin {plugin!r}")
        found[name] = (plugin, item)
    return found


def load(app: Flask) -> NotificationRegistry:
    """Collect and check every enabled plugin's kinds and channels; keep them on ``app``."""
    channels = _gather(app, "crm_notification_channels", NotificationChannel,
                       "notification channel")
    kinds = _gather(app, "crm_notification_kinds", NotificationKind, "notification kind")
    registry = NotificationRegistry(kinds=kinds, channels=channels)  # type: ignore[arg-type]
    app.extensions["crm_notifications"] = registry
    return registry


def current() -> NotificationRegistry:
    """The running app's kinds and channels."""
    registry = current_app.extensions.get("crm_notifications")
    return registry if registry is not None else load(current_app._get_current_object())
