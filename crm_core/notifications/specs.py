"""What plugins declare about notifications: the kinds they send and the channels that deliver.

The toolkit re-exports both (``toolkit.NotificationKind``, ``toolkit.NotificationChannel``);
plugins return them from ``crm_notification_kinds`` and ``crm_notification_channels``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class NotificationKind:
    """A kind of notification a plugin sends (``"sales.order_won"``), with its label and the
    channels used for a user who has not chosen any for it.

    ``default_channels`` names channels; one not enabled in the running app (``"dingtalk"``
    without the OA bridge) is skipped.
    """

    name: str
    label: Any
    default_channels: tuple[str, ...] = ("in_app",)
    description: Any = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "default_channels", tuple(self.default_channels))


@dataclass(frozen=True)
class NotificationChannel:
    """A way a notification reaches its user: ``deliver(notification, user, session)``.

    ``deliver`` runs inside the transaction that created the notification, so it must not
    talk to the outside world itself: it writes an outbox row (``crm_core.outbox``), which
    is delivered after commit. ``in_app`` (the notification row itself) and ``email`` are
    built in.
    """

    name: str
    label: Any
    deliver: Callable[..., Any]
    order: int = 100
