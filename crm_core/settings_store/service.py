"""Read and write settings: ``get_setting("sales.company_name", "")``.

Keys are ``<plugin>.<name>``: the plugin's name, a dot, then letters, digits, ``_``, ``.``
or ``-``. Values are anything JSON holds. Reads go through the app context's session and
are kept for the unit of work (on ``flask.g``): the first read of a plugin's setting loads
all of that plugin's settings in one statement, and a key that is not stored is remembered
as missing too, so a page that reads seven letterhead keys costs one query, not seven.
``set_setting``, a commit and a rollback forget what was kept, so a request sees its own
writes at once and the next unit of work sees everyone else's.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from flask import current_app, g, has_app_context
from flask_babel import gettext
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from ..db import get_session, utcnow
from ..errors import DomainError
from ..plugins import KERNEL_NAME
from .models import Setting

KEY_MAX = 120
VALUE_MAX_BYTES = 64 * 1024
_KEY = re.compile(r"([a-z][a-z0-9_]*)\.[A-Za-z0-9_][A-Za-z0-9_.-]*")
_KEPT = "crm_settings_kept"  # flask.g: {namespace: {key: value}} read in this unit of work


class SettingError(DomainError, ValueError):
    """A setting key or value the store refuses; the message says why."""


def _namespace(key: Any) -> str:
    match = _KEY.fullmatch(key) if isinstance(key, str) and len(key) <= KEY_MAX else None
    if match is None:
        raise SettingError(gettext(
            "A setting is named <plugin>.<name>, such as sales.company_name (at most "
            "%(max)d characters).", max=KEY_MAX))
    return match.group(1)


def get_setting(key: str, default: Any = None) -> Any:
    """The value stored under ``key`` (``"sales.order_number_pattern"``), or ``default``
    when none is. Needs an app context; the value is a copy (changing it changes nothing)."""
    namespace = _namespace(key)
    kept = g.setdefault(_KEPT, {})
    values = kept.get(namespace)
    if values is None:
        rows = get_session().execute(
            select(Setting.key, Setting.value)
            .where(Setting.key.startswith(f"{namespace}.", autoescape=True)))
        values = kept[namespace] = {name: value for name, value in rows if value is not None}
    if key not in values:
        return default
    return copy.deepcopy(values[key])


def _forget(*_args: Any) -> None:
    """Drop the settings kept for this app context (a write, a commit or a rollback)."""
    if has_app_context():
        g.pop(_KEPT, None)


# any session's commit or rollback in the app context: what was kept may be stale after it
event.listen(Session, "after_commit", _forget)
event.listen(Session, "after_soft_rollback", _forget)


def set_setting(session: Session, key: str, value: Any) -> None:
    """Store ``value`` (anything JSON holds, at most 64 KiB as JSON) under ``key``;
    ``None`` removes the setting, so readers get their default again.

    The key's namespace must be the kernel's (``core``) or an enabled plugin's name. The
    write is flushed (the operation log records it) and committed by the caller. Raises
    ``SettingError`` (a ``DomainError`` and ``ValueError``) for a refused key or value.
    """
    namespace = _namespace(key)
    if has_app_context() and namespace != KERNEL_NAME \
            and namespace not in current_app.extensions["crm"].names:
        raise SettingError(gettext("No enabled plugin is called %(name)s.", name=namespace))
    if value is not None:
        try:
            size = len(json.dumps(value, allow_nan=False, ensure_ascii=False).encode())
        except (TypeError, ValueError):
            raise SettingError(gettext("A setting holds text, numbers, true/false, lists "
                                       "and objects only.")) from None
        if size > VALUE_MAX_BYTES:
            raise SettingError(gettext("A setting holds at most %(max)d KiB.",
                                       max=VALUE_MAX_BYTES // 1024))
    _forget()
    row = session.get(Setting, key)
    if value is None:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(Setting(key=key, value=copy.deepcopy(value)))
    elif row.value != value:
        row.value = copy.deepcopy(value)
        row.updated_at = utcnow()
    session.flush()
