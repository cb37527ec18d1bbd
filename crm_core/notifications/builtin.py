"""The kernel's own notification kinds and channels (registered by ``core_plugin``).

``in_app`` is the notification row itself (the bell and the notification centre); ``email``
writes a ``mail`` message to the outbox in the sender's transaction, delivered after commit.
A user without an e-mail address gets the in-app notification only.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context, request, url_for
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from markupsafe import escape

from ..i18n import DEFAULT_LOCALE, normalize_locale
from .specs import NotificationChannel, NotificationKind


def N_(message: str) -> str:
    """Mark ``message`` for translation; the pages translate kind labels when they show them."""
    return message


def _deliver_in_app(notification: Any, user: Any, session: Any) -> None:
    """Nothing to send: the row is what the bell counts and the centre lists."""


def _site_url(path: str) -> str:
    base = current_app.config.get("CRM_BASE_URL") or (
        request.host_url if has_request_context() else "")
    return (str(base).rstrip("/") + path) if base else path


def _open_path(notification_id: int) -> str:
    """The path that opens (and marks read) a notification, with or without a request."""
    values = {"notification_id": notification_id}
    if has_request_context():
        return url_for("core_notifications.open_notification", **values)
    adapter = current_app.url_map.bind(
        "localhost", script_name=current_app.config.get("APPLICATION_ROOT") or "/")
    return adapter.build("core_notifications.open_notification", values)


def email_message(notification: Any, user: Any) -> dict[str, Any]:
    """The ``mail`` outbox payload of ``notification`` for ``user``, in the user's language.

    Its link goes through the notification centre, so opening it marks it read.
    """
    url = _site_url(_open_path(notification.id))
    with force_locale(normalize_locale(user.locale) or DEFAULT_LOCALE):
        action = gettext("Open it in the CRM")
    text = "\n\n".join(part for part in (notification.body, f"{action}: {url}") if part)
    body = str(escape(notification.body)).replace("\n", "<br>\n")
    html = (f"<p>{body}</p>\n" if notification.body else "") + \
        f'<p><a href="{escape(url)}">{escape(action)}</a></p>'
    subject = " ".join(notification.title.split())  # one line, as a mail header must be
    return {"to": [user.email.strip()], "subject": subject, "text": text, "html": html}


def _deliver_email(notification: Any, user: Any, session: Any) -> None:
    """Queue an e-mail in the outbox (same transaction); none for a user without address."""
    if not (user.email or "").strip():
        return
    from ..outbox import enqueue

    enqueue("mail", email_message(notification, user), f"notification-{notification.id}-email",
            session=session)


KERNEL_CHANNELS = [
    NotificationChannel("in_app", _l("In the CRM"), _deliver_in_app, order=0),
    NotificationChannel("email", _l("E-mail"), _deliver_email, order=10),
]

KERNEL_KINDS = [
    NotificationKind("system", N_("System messages"), ("in_app",),
                     N_("Notices from the CRM and its administrators.")),
]
