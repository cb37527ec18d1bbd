"""The notification centre: the bell's count, the list, opening one, marking them read, and
each user's channel choices. Every signed-in user uses their own; anyone else's id is 404."""

from __future__ import annotations

import datetime as dt

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_timedelta, gettext
from flask_login import current_user

from ..api.pagination import paginate
from ..auth.permissions import public, require_permission
from ..db import get_session, utcnow
from ..errors import DomainError
from . import api, registry
from .forms import ActionForm, chosen, field_name, preferences_form
from .links import site_path
from .preferences import effective_choices, reset_choices, save_choices, stored_choices
from .service import NotFound, mark_all_read, mark_read, notifications_of, unread_count

bp = Blueprint("core_notifications", __name__)
bp.record_once(lambda state: registry.load(state.app))  # a bad kind stops the app at start
api.register(bp)


def ago(value: dt.datetime) -> str:
    """``value`` as people say it: "3 minutes ago", "2 天前"."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    delta = value - utcnow()
    if abs(delta) < dt.timedelta(minutes=1):
        return gettext("just now")
    return format_timedelta(delta, add_direction=True)


def _next_page(default: str) -> str:
    """The list page to go back to (a path on this site), else ``default``."""
    try:
        return site_path(request.form.get("next")) or default
    except DomainError:
        return default


@bp.get("/notifications")
@require_permission()
def index():  # type: ignore[no-untyped-def]
    """Your notifications, newest first, unread ones highlighted; ``?unread=1`` filters."""
    session = get_session()
    unread_only = request.args.get("unread") == "1"
    page = paginate(session, notifications_of(current_user.id, unread_only), descending=True)
    kinds = registry.current()
    return render_template("core/notifications/index.html", page=page, ago=ago,
                           unread_only=unread_only, form=ActionForm(),
                           unread=unread_count(session, current_user.id),
                           kind_label=lambda name: (kinds.kind(name).label
                                                    if kinds.kind(name) else name))


@bp.get("/notifications/bell")
@public
def bell():  # type: ignore[no-untyped-def]
    """The bell's unread count, the fragment the top bar polls (htmx, every 30 s).

    Open to everyone so that a poll after the sign-in ended answers a bare 401 (which htmx
    leaves unswapped) instead of the login page squeezed into the top bar.
    """
    if not current_user.is_authenticated:
        return Response(status=401)
    response = Response(render_template(
        "core/notifications/_bell_count.html",
        count=unread_count(get_session(), current_user.id)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/notifications/<int:notification_id>/open")
@require_permission()
def open_notification(notification_id: int):  # type: ignore[no-untyped-def]
    """Open one of your notifications: it is marked read and its link followed."""
    session = get_session()
    try:
        notification = mark_read(session, current_user.id, notification_id)
    except NotFound:
        abort(404)
    session.commit()
    return redirect(notification.link or url_for("core_notifications.index"))


@bp.post("/notifications/<int:notification_id>/read")
@require_permission()
def mark_one_read(notification_id: int):  # type: ignore[no-untyped-def]
    """Mark one of your notifications read, then back to the list."""
    if not ActionForm().validate_on_submit():
        abort(400)
    session = get_session()
    try:
        mark_read(session, current_user.id, notification_id)
    except NotFound:
        abort(404)
    session.commit()
    return redirect(_next_page(url_for("core_notifications.index")))


@bp.post("/notifications/read-all")
@require_permission()
def mark_everything_read():  # type: ignore[no-untyped-def]
    """Mark all your notifications read."""
    if not ActionForm().validate_on_submit():
        abort(400)
    session = get_session()
    marked = mark_all_read(session, current_user.id)
    session.commit()
    flash(gettext("Notifications marked read: %(num)s.", num=marked), "success")
    return redirect(_next_page(url_for("core_notifications.index")))


@bp.route("/notifications/preferences", methods=["GET", "POST"])
@require_permission()
def preferences():  # type: ignore[no-untyped-def]
    """Choose, per kind, the channels your notifications reach you through."""
    session = get_session()
    kinds = registry.current()
    choices = effective_choices(kinds, stored_choices(session, current_user.id))
    form = preferences_form(kinds, choices)
    if form.validate_on_submit():
        if form.reset.data:
            reset_choices(session, current_user.id)
            message = gettext("Your notifications use the defaults again.")
        else:
            save_choices(session, current_user.id, chosen(form, kinds), kinds)
            message = gettext("Your notification choices were saved.")
        session.commit()
        flash(message, "success")
        return redirect(url_for("core_notifications.preferences"))
    return render_template("core/notifications/preferences.html", form=form, kinds=kinds,
                           field_name=field_name, has_email=bool(current_user.email)), \
        400 if form.errors else 200

