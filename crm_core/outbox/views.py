"""The outbox page: messages not delivered yet, their last error, and replaying them.

Administrators only (``core.outbox.manage``). A channel that cannot deliver (e-mail without
``CRM_SMTP_URL``) is named at the top, with how many messages wait for it; the same warning
shows on the dashboard (``_warning.html``, through ``outbox_warnings``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm

from ..auth.permissions import require_permission
from ..db import get_session
from ..edge.ints import INT32_MAX
from ..registry import MenuItem
from ..registry import Permission as PermissionSpec
from .channels import OutboxError, channels, not_ready
from .mail import CHANNEL as MAIL_CHANNEL
from .models import STATUSES, WAITING, OutboxMessage, as_utc
from .service import (
    OutboxNotFound,
    counts,
    get_message,
    list_messages,
    replay,
    replayable,
    status_label,
    waiting_by_channel,
)

bp = Blueprint("core_outbox", __name__, url_prefix="/admin/outbox")

MANAGE = "core.outbox.manage"


def N_(message: str) -> str:
    """Mark ``message`` for translation; the role pages translate labels when they show them."""
    return message


PERMISSIONS = [PermissionSpec(MANAGE, N_("Manage the outbox (e-mail and other outgoing "
                                         "messages)"), N_("System"))]
MENU_ITEMS = [MenuItem(id="core.admin.outbox", label=_l("Outbox"),
                       endpoint="core_outbox.index", permission=MANAGE, icon="send",
                       order=60, parent="core.admin")]
#: The outbox page's filters: "waiting" (the default) is pending, failed and dead together.
FILTERS = ("waiting", *STATUSES)


class ReplayForm(FlaskForm):
    """The confirmation of a replay (CSRF only)."""


def outbox_warnings() -> list[dict[str, Any]]:
    """For an outbox manager: each channel that cannot deliver, why, and how much waits.

    Also a channel no enabled plugin offers any more while messages wait for it.
    """
    if not getattr(current_user, "is_authenticated", False) or \
            not current_user.has_permission(MANAGE):
        return []
    waiting = waiting_by_channel(get_session())
    known = channels()
    # Mail is said to be unconfigured until it is; another channel only while messages wait
    # for it (an ERP bridge nobody connected yet is no alarm on every page).
    warnings = [{"channel": name, "label": known[name].label or name,
                 "reason": reason.rstrip(".。"), "waiting": waiting.get(name, 0)}
                for name, reason in sorted(not_ready().items())
                if name == MAIL_CHANNEL or waiting.get(name, 0)]
    warnings += [{"channel": name, "label": name, "waiting": count,
                  "reason": _("no enabled plugin offers this channel")}
                 for name, count in sorted(waiting.items()) if name not in known]
    return warnings


@bp.app_context_processor
def inject_outbox_warnings() -> dict[str, Any]:
    return {"outbox_warnings": outbox_warnings}


def _summary(row: OutboxMessage) -> str:
    spec = channels().get(row.channel)
    if spec is None or spec.summary is None:
        return ""
    try:
        return str(spec.summary(row.payload))[:300]
    except Exception:  # a summary is a courtesy: a bad payload must not break the page
        return ""


def _before() -> int | None:
    value = request.args.get("before", "").strip()
    if not value:
        return None
    if not value.isdigit() or not 0 < int(value) <= INT32_MAX:
        abort(400, _("“before” must be a message id."))
    return int(value)


@bp.get("/")
@require_permission(MANAGE)
def index():  # type: ignore[no-untyped-def]
    """Messages not delivered yet (or of one status), newest first, 50 a page."""
    status = request.args.get("status", "waiting")
    if status not in FILTERS:
        abort(400, _("Unknown status filter: choose one of %(names)s.",
                     names=", ".join(FILTERS)))
    session = get_session()
    statuses = WAITING if status == "waiting" else (status,)
    before = _before()
    rows, next_before = list_messages(session, statuses, before)
    context = {"rows": rows, "status": status, "before": before, "next_before": next_before,
               "summary": _summary, "replayable": replayable, "status_label": status_label,
               "as_utc": as_utc}
    if request.headers.get("HX-Request"):
        return render_template("core/outbox/_table.html", **context)
    return render_template("core/outbox/index.html", counts=counts(session), filters=FILTERS,
                           **context)


@bp.route("/<int:message_id>/replay", methods=["GET", "POST"])
@require_permission(MANAGE)
def replay_message(message_id: int):  # type: ignore[no-untyped-def]
    """Confirm, then try a pending, failed or dead message again with fresh tries."""
    session = get_session()
    try:
        row = get_message(session, message_id)
    except OutboxNotFound:
        abort(404)
    form = ReplayForm()
    error = None if replayable(row) else _(
        "Message %(id)d is %(status)s; only pending, failed or dead messages can be replayed.",
        id=row.id, status=status_label(row.status))
    if error is None and form.validate_on_submit():
        try:
            replay(session, row.id)
        except OutboxError as exc:
            session.rollback()
            error = str(exc)
        else:
            session.commit()
            flash(_("Message %(id)d will be tried again now.", id=row.id), "success")
            return redirect(url_for("core_outbox.index"))
    status = 409 if error and request.method == "POST" else \
        400 if request.method == "POST" else 200
    return render_template("core/outbox/replay.html", form=form, row=row, error=error,
                           summary=_summary(row), status_label=status_label), status
