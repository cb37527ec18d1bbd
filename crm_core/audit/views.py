"""The operation log pages: the filtered log and one record's history."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import lazy_gettext
from flask_login import current_user

from ..auth.permissions import require_permission
from ..auth.timezones import user_timezone_name
from ..db import get_session
from ..registry import MenuItem
from ..ui.formatting import format_datetime
from .chain import canonical_json
from .display import prefetch, record_kind, shown_changes
from .forms import LogFilterForm
from .messages import render_message
from .service import LogFilter, audited_tables, find_entries, record_history
from .visibility import record_in_scope, sees_everything, visible_condition

bp = Blueprint("core_audit", __name__)
MENU_ITEMS: list[MenuItem] = [
    MenuItem(id="core.audit", label=lazy_gettext("Operation log"), endpoint="core_audit.log",
             permission="core.audit.view", icon="journal-check", order=950),
]
ACTION_LABELS = {
    "insert": lazy_gettext("Created"),
    "update": lazy_gettext("Changed"),
    "delete": lazy_gettext("Deleted"),
    "login": lazy_gettext("Signed in"),
    "login_failed": lazy_gettext("Sign-in failed"),
    "logout": lazy_gettext("Signed out"),
    "import": lazy_gettext("Imported"),
    "export": lazy_gettext("Exported"),
    "import_create": lazy_gettext("Created by an import"),
    "import_update": lazy_gettext("Changed by an import"),
    "import_undo": lazy_gettext("Import undone"),
    "bulk_create": lazy_gettext("Created in a batch"),
    "merge": lazy_gettext("Merged"),
    "attachment_added": lazy_gettext("File attached"),
    "attachment_deleted": lazy_gettext("File removed"),
    "approval_requested": lazy_gettext("Approval requested"),
    "approval_decided": lazy_gettext("Approval decided"),
    "approval_withdrawn": lazy_gettext("Approval withdrawn"),
    "approval_closed": lazy_gettext("Approval closed"),
    "outbox_replay": lazy_gettext("Message sent again"),
    "outbox_dead": lazy_gettext("Message given up"),
    "password_changed": lazy_gettext("Password changed"),
    "import_reset": lazy_gettext("Import reset"),
}
FILTER_ARGS = ("user", "model", "record_id", "action", "date_from", "date_to")
VALUE_WIDTH = 120
LOGGED_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")


@bp.app_template_filter("audit_changes")
def audit_changes(entry: Any, labels: dict[str, Any] | None = None,
                  choices: dict[str, Any] | None = None) -> list[Any]:
    """``{% for change in entry|audit_changes %}``: field, label, old, new, has_old, has_new,
    the values named as the reader knows them (``display.shown_changes``)."""
    return shown_changes(entry, labels, choices)


@bp.app_template_global("audit_message")
def audit_message(entry: Any) -> str:
    """An entry's message in the reader's language (``messages.render_message``)."""
    return render_message(entry)


@bp.app_template_global("audit_record_kind")
def audit_record_kind(model: str | None) -> str:
    """The kind of record an entry is about, as the reader knows it (else the table)."""
    return record_kind(model)


@bp.app_template_filter("audit_value")
def audit_value(value: Any) -> str:
    """A logged value, short enough for a table cell; a logged time (ISO, UTC) in the reader's
    zone, as the entry's own time is."""
    if value is None:
        return "∅"
    if isinstance(value, str) and LOGGED_TIME.fullmatch(value):
        return format_datetime(dt.datetime.fromisoformat(value), seconds=True)
    shown = value if isinstance(value, str) else canonical_json(value)
    return shown if len(shown) <= VALUE_WIDTH else shown[:VALUE_WIDTH - 1] + "…"


@bp.app_template_filter("audit_time")
def audit_time(value: dt.datetime | None) -> str:
    """An entry's time in UTC, to the second."""
    if value is None:
        return ""
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%d %H:%M:%S")


@bp.app_template_global("audit_action_label")
def audit_action_label(action: str) -> str:
    """The translated name of an action, or the action itself."""
    return str(ACTION_LABELS.get(action, action))


@bp.app_template_global("audit_history")
def audit_history(model: str | type, record_id: Any, limit: int = 20) -> list[Any]:
    """A record's newest entries the signed-in user may read, for
    ``core/audit/_history.html`` on the record's page."""
    history = record_history(model, record_id, limit,
                             visible=visible_condition(current_user._get_current_object()))
    prefetch(history)
    return history


def _scoped_tables() -> set[str]:
    from .capture import settings_for_engine

    settings = settings_for_engine(current_app.extensions["crm_db"].engine)
    return set(settings.scopes) if settings else set()


def _cursor(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None


@bp.get("/audit")
@require_permission("core.audit.view")
def log():  # type: ignore[no-untyped-def]
    """Entries the viewer may read (``visibility``), newest first, filtered by user, model,
    record, action and dates."""
    form = LogFilterForm(formdata=request.args)
    valid = form.validate()
    filters = LogFilter(
        username=(form.user.data or "").strip(), model=(form.model.data or "").strip(),
        record_id=(form.record_id.data or "").strip(), action=(form.action.data or "").strip(),
        date_from=form.date_from.data, date_to=form.date_to.data,
        zone=user_timezone_name()) if valid else None
    viewer = current_user._get_current_object()
    page = find_entries(get_session(), filters, before=_cursor("before"),
                        after=_cursor("after"), visible=visible_condition(viewer)) \
        if filters else None
    kept = {name: request.args[name] for name in FILTER_ARGS if request.args.get(name)}
    prefetch(page.entries if page else [])
    return render_template("core/audit/log.html", form=form, page=page, kept=kept,
                           actions=ACTION_LABELS, models=audited_tables(current_app),
                           filtered=bool(kept)), 200 if valid else 400


@bp.get("/audit/record/<model>/<record_id>")
@require_permission("core.audit.view")
def record(model: str, record_id: str):  # type: ignore[no-untyped-def]
    """One record's history, newest first: 404 for a record outside the viewer's scope."""
    viewer = current_user._get_current_object()
    if not record_in_scope(get_session(), viewer, model, record_id):
        abort(404)
    history = record_history(model, record_id, limit=50, visible=visible_condition(viewer))
    if not history and not sees_everything(viewer) and model in _scoped_tables():
        abort(404)  # a row gone: nothing of it may be read, so nothing says it existed
    prefetch(history)
    return render_template("core/audit/record.html", model=model, record_id=record_id,
                           history=history)
