"""Sending notifications and reading them back; the only place that writes them.

``notify`` adds one row per recipient to the caller's session and hands each to the other
channels the recipient chose (an e-mail is an outbox row in the same transaction): the
caller commits, and a rollback leaves nothing behind. A user reaches only their own rows:
``own_notification`` answers ``NotFound`` (404) for anyone else's.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from flask_babel import LazyString, force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from ..auth.models import User
from ..db import get_session, utcnow
from ..edge.ints import INT64_MAX
from ..errors import DomainError
from ..i18n import DEFAULT_LOCALE, normalize_locale
from .links import site_path
from .models import BODY_LENGTH, TITLE_LENGTH, Notification, NotificationPreference
from .preferences import channels_for
from .registry import current

log = logging.getLogger(__name__)
IN_APP = "in_app"


class NotificationError(DomainError):
    """``notify`` was called with something it cannot send."""


class NotFound(DomainError):
    """No notification of yours has this id."""

    status = 404


def _clip(text: str, length: int) -> str:
    return text if len(text) <= length else text[:length - 1] + "…"


def _recipients(user_ids: int | Iterable[int]) -> list[int]:
    ids = [user_ids] if isinstance(user_ids, int) else list(user_ids)
    if any(isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= INT64_MAX
           for value in ids):
        raise NotificationError(_l("Notify users by their ids (whole numbers)."))
    return list(dict.fromkeys(ids))


def _in_language_of(user: User, text: Any) -> str:
    """``text`` as ``user`` reads it: a lazy string (``lazy_gettext``) in the user's language,
    anything else as given."""
    if not isinstance(text, LazyString):
        return str(text or "")
    with force_locale(normalize_locale(getattr(user, "locale", None)) or DEFAULT_LOCALE):
        return str(text)


def notify(user_ids: int | Iterable[int], kind: str, title: Any, body: Any = "",
           link: str | None = None, *, session: Session | None = None) -> list[Notification]:
    """Notify each of ``user_ids`` (inactive or unknown users are skipped) in the caller's
    transaction; returns the notifications written (flushed, ids set). The caller commits.

    ``kind`` names a declared ``NotificationKind``; ``link`` must be a site-relative path
    (``/customers/12``): an absolute or external URL raises ``LinkError``, so a
    notification can never send its reader elsewhere. A title over 200 characters, a body
    over 4,000 are shortened. Each recipient's channels are their choice for the kind, else
    its ``default_channels``; a recipient who chose none gets nothing. A title or body made
    with ``lazy_gettext`` is written in each recipient's language (a beat task has no
    reader to take it from).
    """
    session = session if session is not None else get_session()
    registry = current()
    spec = registry.kind(kind)
    if spec is None:
        raise NotificationError(_l("Unknown notification kind %(kind)s.", kind=repr(kind)))
    if not str(title or "").strip():
        raise NotificationError(_l("A notification needs a title."))
    path = site_path(link)
    ids = _recipients(user_ids)
    if not ids:
        return []
    users = list(session.scalars(select(User).where(User.id.in_(ids), User.is_active.is_(True))
                                 .order_by(User.id)))
    stored: dict[int, dict[tuple[str, str], bool]] = {user.id: {} for user in users}
    for row in session.scalars(select(NotificationPreference).where(
            NotificationPreference.user_id.in_(list(stored)),
            NotificationPreference.kind == kind)):
        stored[row.user_id][(row.kind, row.channel)] = row.enabled
    planned = []
    for user in users:
        channels = channels_for(registry, spec, stored[user.id])
        if not channels:
            continue
        notification = Notification(user_id=user.id, kind=kind,
                                    title=_clip(_in_language_of(user, title).strip(),
                                                TITLE_LENGTH),
                                    body=_clip(_in_language_of(user, body), BODY_LENGTH),
                                    link=path,
                                    in_app=IN_APP in channels, created_at=utcnow())
        session.add(notification)
        planned.append((notification, user, channels))
    session.flush()
    for notification, user, channels in planned:
        _deliver(session, registry, notification, user, channels)
    _announce(session, kind, title, body, path, [row.id for row, _user, _channels in planned])
    return [notification for notification, _user, _channels in planned]


def _announce(session: Session, kind: str, title: Any, body: Any, link: str | None,
              ids: list[int]) -> None:
    """``crm_notification_sent``, each listener isolated like a channel."""
    from flask import current_app

    caller = current_app.extensions["crm"].hook.crm_notification_sent
    for impl in caller.get_hookimpls():
        try:
            with session.begin_nested():
                impl.function(**{name: value for name, value in {
                    "kind": kind, "title": str(title or "").strip(), "body": str(body or ""),
                    "link": link, "notification_ids": ids, "session": session}.items()
                    if name in impl.argnames})
        except Exception:  # one broken listener must not break the sender's save
            log.exception("crm_notification_sent listener %s failed", impl.plugin_name)


def _deliver(session: Session, registry: Any, notification: Notification, user: User,
             channels: list[str]) -> None:
    for name in channels:
        channel = registry.channel(name)
        if name == IN_APP or channel is None:
            continue
        try:
            with session.begin_nested():  # a failed statement is undone alone
                channel.deliver(notification, user, session)
        except Exception:  # one broken channel must not break the sender's save
            log.exception("notification %s: channel %s failed", notification.id, name,
                          extra={"notification_id": notification.id, "channel": name})


# -- reading ---------------------------------------------------------------------------------

def notifications_of(user_id: int, unread: bool = False) -> Select[Any]:
    """The statement of a user's notification centre (in-app ones), for ``paginate``."""
    statement = select(Notification).where(Notification.user_id == user_id,
                                           Notification.in_app.is_(True))
    if unread:
        statement = statement.where(Notification.read_at.is_(None))
    return statement


def unread_count(session: Session, user_id: int) -> int:
    """How many of the user's in-app notifications are unread."""
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None),
        Notification.in_app.is_(True))) or 0


def own_notification(session: Session, user_id: int, notification_id: int) -> Notification:
    """The user's notification ``notification_id``; ``NotFound`` for anyone else's."""
    notification = None
    if 0 < notification_id <= INT64_MAX:
        notification = session.get(Notification, notification_id)
    if notification is None or notification.user_id != user_id:
        raise NotFound(_l("There is no such notification."))
    return notification


def mark_read(session: Session, user_id: int, notification_id: int) -> Notification:
    """Mark one of the user's notifications read (again is harmless); the caller commits."""
    notification = own_notification(session, user_id, notification_id)
    if notification.read_at is None:
        notification.read_at = utcnow()
        session.flush()
    return notification


def mark_all_read(session: Session, user_id: int) -> int:
    """Mark every unread notification of the user read; how many were. The caller commits."""
    result = session.execute(update(Notification)
                             .where(Notification.user_id == user_id,
                                    Notification.read_at.is_(None),
                                    Notification.in_app.is_(True))
                             .values(read_at=utcnow())
                             .execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)
