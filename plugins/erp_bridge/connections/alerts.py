"""Telling administrators (everyone holding ``erp_bridge.connection.manage``) about a
connection that needs them, through the kernel's notifications (kind
``erp_bridge.connection_alert``: in the app and by e-mail unless a user chose otherwise):

- the ERP refused the credentials or rights (AuthError/PermissionError) and the connection
  stopped: once, when it stops (not at every refused try);
- an API key lapses within ``CRM_ERP_BRIDGE_KEY_WARNING_DAYS`` days (default 14): the daily
  beat warns on its first run inside that window, again three days before and on the day
  it lapses (``key_warned_on`` remembers the last warning; a new expiry date starts over).

A part of the plugin: ``notification_kinds()``, ``celery_tasks()``, ``beat_schedule()``.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import (
    NotificationKind,
    ScheduleEntry,
    TaskSpec,
    db,
    notify,
    plugin_config,
    users_with_permission,
    utcnow,
)

from ..models import ErpConnection
from ..permissions import CONNECTION_MANAGE

KIND = "erp_bridge.connection_alert"
DEFAULT_WARNING_DAYS = 14  # services.EXPIRY_WARNING_DAYS
#: Days before the lapse at which the warning is repeated (besides the window's first day).
REPEAT_AT = (3, 0)


def _admins(session: Session) -> list[int]:
    return [user.id for user in users_with_permission(session, CONNECTION_MANAGE)]


def _link(connection: ErpConnection) -> str:
    return f"/erp/connections/{connection.name}"


def connection_stopped(session: Session, connection: ErpConnection, reason: str) -> int:
    """Tell the administrators that ``connection`` stopped because of ``reason``; the count
    notified (the caller commits)."""
    return len(notify(_admins(session), KIND,
                      _l("ERP connection %(name)s stopped", name=connection.name),
                      _l("The ERP refused the connection: %(reason)s. Nothing is sent until "
                         "you enter a new key or test it again.", reason=reason[:300]),
                      link=_link(connection), session=session))


def warning_days() -> int:
    """How many days before a key lapses the warnings start."""
    try:
        return max(1, int(plugin_config("erp_bridge", "key_warning_days",
                                        DEFAULT_WARNING_DAYS)))
    except (TypeError, ValueError):
        return DEFAULT_WARNING_DAYS


def _due(connection: ErpConnection, today: dt.date, window: int) -> bool:
    expires = connection.key_expires_on
    if expires is None or (expires - today).days > window:
        return False
    warned = connection.key_warned_on
    if warned is None or warned < expires - dt.timedelta(days=window):
        return True
    return any((expires - today).days <= days and warned < expires - dt.timedelta(days=days)
               for days in REPEAT_AT)


def warn_expiring_keys(session: Session, today: dt.date | None = None) -> int:
    """Warn the administrators about every key that lapses soon (see the module); the
    count of connections warned about (the caller commits)."""
    today = today or utcnow().date()
    window = warning_days()
    admins: list[int] | None = None
    warned = 0
    for connection in session.scalars(select(ErpConnection).where(
            ErpConnection.key_expires_on.is_not(None)).order_by(ErpConnection.name)):
        if not _due(connection, today, window):
            continue
        admins = _admins(session) if admins is None else admins
        days = (connection.key_expires_on - today).days
        title = _l("The API key of %(name)s lapses in %(days)d days", name=connection.name,
                   days=days) if days > 0 else \
            _l("The API key of %(name)s lapses today or has lapsed", name=connection.name)
        notify(admins, KIND, title,
               _l("Generate a new key in the ERP and enter it on the connection's page "
                  "before %(day)s.", day=connection.key_expires_on.isoformat()),
               link=_link(connection), session=session)
        connection.key_warned_on = today
        warned += 1
    session.flush()
    return warned


def key_expiry_task() -> str:
    """The daily beat run."""
    warned = warn_expiring_keys(db.session)
    db.session.commit()
    return f"ERP key expiry: {warned} connections warned about"


def notification_kinds() -> list[NotificationKind]:
    """``erp_bridge.connection_alert``."""
    return [NotificationKind(KIND, _l("ERP connection needs attention"),
                             default_channels=("in_app", "email"),
                             description=_l("An ERP connection stopped, or its API key "
                                            "lapses soon."))]


def celery_tasks() -> list[TaskSpec]:
    """``erp_bridge.key_expiry``."""
    return [TaskSpec("key_expiry", key_expiry_task)]


def beat_schedule() -> list[ScheduleEntry]:
    """Every day at 07:20."""
    return [ScheduleEntry("key_expiry", "key_expiry", crontab="20 7 * * *")]
