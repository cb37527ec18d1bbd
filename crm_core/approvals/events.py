"""The approval hooks, called so that one broken listener never breaks a decision, and the
notifications approvers and requesters get.

Listeners run inside the unit of work, each in a savepoint: one that raises is logged (with
its plugin's name), its own writes are rolled back, and the decision commits without it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from flask import current_app, has_request_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

#: The notification kinds approvals send (declared through ``crm_notification_kinds``).
KIND_REQUESTED, KIND_DECIDED, KIND_REMINDER = (
    "approval.requested", "approval.decided", "approval.reminder")


def N_(message: str) -> str:
    """Mark ``message`` for translation; the notification pages translate kind labels."""
    return message


def notification_kinds() -> list[Any]:
    """The notification kinds approvals send, for ``crm_notification_kinds``."""
    from ..notifications.specs import NotificationKind

    return [
        NotificationKind(KIND_REQUESTED, N_("Approval requests waiting for me"),
                         ("in_app", "email")),
        NotificationKind(KIND_DECIDED, N_("Decisions on my approval requests"),
                         ("in_app", "email")),
        NotificationKind(KIND_REMINDER, N_("Reminders of approvals waiting for me"),
                         ("in_app", "email")),
    ]


def emit(event: str, session: Session, **kwargs: Any) -> None:
    """Call each implementation of ``event`` with the keyword arguments it asks for."""
    caller = getattr(current_app.extensions["crm"].pm.hook, event)
    for impl in reversed(caller.get_hookimpls()):
        if impl.hookwrapper or impl.wrapper:
            continue
        arguments = {name: kwargs[name] for name in impl.argnames if name in kwargs}
        try:
            with session.begin_nested():
                impl.function(**arguments)
        except Exception:  # noqa: BLE001 - a listener's bug must not lose the decision
            log.exception("Listener %s of %s failed; the approval went on without it.",
                          impl.plugin_name, event)


def ask_provider(session: Session, **kwargs: Any) -> tuple[str, str] | None:
    """The first provider plugin that takes the approval over: ``(plugin name, handle)``."""
    caller = current_app.extensions["crm"].pm.hook.crm_approval_provider
    for impl in reversed(caller.get_hookimpls()):
        if impl.hookwrapper or impl.wrapper:
            continue
        handle = impl.function(**{name: kwargs[name] for name in impl.argnames
                                  if name in kwargs})
        if handle:
            return impl.plugin_name, str(handle)[:200]
    return None


def approval_link(approval_id: int) -> str:
    """The approval's page (a path when there is no request to build a full URL from)."""
    if has_request_context():
        return url_for("core_approvals.detail", approval_id=approval_id)
    return f"/approvals/{approval_id}"


def notify(session: Session, user_ids: Iterable[int], kind: str, title: Any, body: Any,
           link: str) -> None:
    """Tell ``user_ids`` through the notifications service, in the caller's transaction.

    A failure to notify is logged and rolled back alone; it never undoes the approval's
    change.
    """
    from ..notifications.service import notify as send

    user_ids = sorted(set(user_ids))
    if not user_ids:
        return
    try:
        with session.begin_nested():
            send(user_ids, kind, title, body, link=link, session=session)
    except Exception:  # noqa: BLE001 - the approval's change counts more than its notice
        log.exception("could not notify users %s of %s", user_ids, kind)


def texts(kind: str, title: str, status: str = "") -> tuple[Any, Any]:
    """The notice's title and body for ``kind``, as lazy strings: the notifications service
    writes them in each recipient's language (an approver's is not the requester's, and
    the reminders run in the beat, with no request at all)."""
    if kind == KIND_REQUESTED:
        return _l("Approval needed: %(title)s", title=title), \
            _l("A request waits for your decision.")
    if kind == KIND_REMINDER:
        return _l("Still waiting for your approval: %(title)s", title=title), \
            _l("A request has been waiting for your decision for a while.")
    labels = {"pending": _l("Pending"), "approved": _l("Approved"),
              "rejected": _l("Rejected"), "withdrawn": _l("Withdrawn"), "closed": _l("Closed")}
    return _l("Your request was decided: %(title)s", title=title), labels.get(status, status)


def status_label(status: str) -> str:
    """An approval state as a user reads it."""
    return {"pending": _("Pending"), "approved": _("Approved"), "rejected": _("Rejected"),
            "withdrawn": _("Withdrawn"), "closed": _("Closed")}.get(status, status)
