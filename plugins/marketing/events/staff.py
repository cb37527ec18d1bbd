"""Staff pages of an event campaign: its registration settings
(``/marketing/campaigns/<id>/event``), its registrants with their check-in state and counts
(``…/registrations``, exported as CSV or XLSX at ``…/registrations.csv|.xlsx``) and the
check-in page for phones (``…/check-in``: the camera reads the QR code, or staff type the
code). Permissions are the campaign's: view, edit (settings, check-in), export.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from crm_core.toolkit import (
    TABLE_FORMATS,
    DomainError,
    format_datetime,
    format_time,
    get_scoped_or_404,
    get_session,
    record_event,
    require_permission,
    sensitive,
    stored_time,
    to_user_time,
    user_timezone,
    write_table,
)

from ..models import Campaign
from ..sensitive import RECIPIENT
from . import services
from .forms import CheckInForm, EventSettingsForm
from .models import Event, Registration
from .questions import questions_text

VIEW, EDIT = "marketing.campaign.view", "marketing.campaign.edit"
EXPORT = "marketing.campaign.export"
BASE = "/marketing/campaigns/<int:campaign_id>"

pages = Blueprint("marketing_event_pages", __name__, template_folder="../templates",
                  static_folder="../static", static_url_path="/marketing/events/assets")


def _campaign(campaign_id: int) -> Campaign:
    return get_scoped_or_404(Campaign, campaign_id, live_only=True)


def _event(campaign: Campaign) -> Event:
    event = services.event_of(get_session(), campaign.id)
    if event is None:
        abort(404)
    return event


def _fill(form: EventSettingsForm, event: Event | None) -> None:
    if event is None:
        return
    form.is_open.data = event.is_open
    form.capacity.data = event.capacity
    deadline = stored_time(event.deadline)
    form.deadline.data = to_user_time(deadline).replace(tzinfo=None) if deadline else None
    form.schedule.data, form.place.data, form.intro.data = (event.schedule, event.place,
                                                            event.intro)
    form.questions.data = questions_text(event.questions)


def _values(form: EventSettingsForm) -> dict[str, Any]:
    deadline = form.deadline.data
    return {"is_open": form.is_open.data, "capacity": form.capacity.data,
            "deadline": deadline.replace(tzinfo=user_timezone()) if deadline else None,
            "schedule": form.schedule.data, "place": form.place.data,
            "intro": form.intro.data, "questions": form.questions.data or ""}


@pages.route(f"{BASE}/event", methods=["GET", "POST"])
@require_permission(EDIT)
def settings(campaign_id: int) -> Any:
    """An event campaign's registration settings."""
    session = get_session()
    campaign = _campaign(campaign_id)
    event = services.event_of(session, campaign.id)
    form = EventSettingsForm()
    if campaign.type != "event":  # the page says why there is nothing to set
        return render_template("marketing/events/settings.html", form=form, campaign=campaign,
                               event=event, not_event=True), 200 if request.method == "GET" \
            else 409
    if request.method == "GET":
        _fill(form, event)
    elif form.validate_on_submit():
        try:
            services.save_settings(session, campaign, _values(form))
        except DomainError as error:
            session.rollback()
            field = getattr(error, "field", None)
            if field in form._fields:
                form[field].errors = [*form[field].errors, str(error)]
            else:
                flash(str(error), "danger")
        else:
            session.commit()
            flash(_("The event's registration settings are saved."), "success")
            return redirect(url_for("marketing_campaigns.detail", campaign_id=campaign.id))
    status = 400 if request.method == "POST" else 200
    return render_template("marketing/events/settings.html", form=form, campaign=campaign,
                           event=event), status


@pages.get(f"{BASE}/registrations")
@require_permission(VIEW)
def registrants(campaign_id: int) -> str:
    """The event's registrants with their check-in state and the counts."""
    session = get_session()
    campaign = _campaign(campaign_id)
    event = _event(campaign)
    return render_template("marketing/events/registrants.html", campaign=campaign, event=event,
                           counts=services.counts(session, event),
                           rows=services.registrations(session, event))


def _rows(event: Event, items: list[Registration]) -> list[list[str]]:
    labels = [question["label"] for question in event.questions or []]
    phone = sensitive.field_masker(RECIPIENT, "phone") or (lambda value: value)
    email = sensitive.field_masker(RECIPIENT, "email") or (lambda value: value)
    return [[item.code, item.name, phone(item.phone or ""), email(item.email or ""),
             item.company,
             _("Yes") if item.consent else _("No"), format_datetime(item.created_at),
             format_datetime(item.checked_in_at) if item.checked_in_at else "",
             *[str((item.answers or {}).get(label, "")) for label in labels]]
            for item in items]


@pages.get(f"{BASE}/registrations.<fmt>")
@require_permission(EXPORT)
def export(campaign_id: int, fmt: str) -> Response:
    """The registrants as CSV (UTF-8 with BOM, for Excel) or XLSX; the export is logged."""
    if fmt not in TABLE_FORMATS:
        abort(404)
    session = get_session()
    campaign = _campaign(campaign_id)
    event = _event(campaign)
    items = services.registrations(session, event)
    headers = [_("Code"), _("Name"), _("Phone"), _("E-mail"), _("Company"),
               _("Marketing e-mail consent"), _("Registered at"), _("Checked in at"),
               *[question["label"] for question in event.questions or []]]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"registrations.{fmt}"
        write_table(path, fmt, headers, [_rows(event, items)], sheet_title=_("Registrants"))
        content = path.read_bytes()
    record_event("export", _("Registrants of %(name)s", name=campaign.name), model=Registration,
                 changes={"campaign_id": campaign.id, "rows": len(items)}, session=session)
    session.commit()
    mimetype = "text/csv" if fmt == "csv" else \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(content, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="registrations-{campaign.id}.{fmt}"'})


def check_in_answer(result: services.CheckIn) -> dict[str, Any]:
    """A check-in's answer as the page and the API show it."""
    registration = result.registration
    at: dt.datetime | None = stored_time(registration.checked_in_at) if registration else None
    if result.status == "unknown":
        message = _("Unknown code: nobody registered for this event has it.")
    elif result.status == "already":
        message = _("%(name)s is already checked in (at %(time)s).",
                    name=registration.name if registration else "", time=format_time(at))
    else:
        message = _("%(name)s is checked in.", name=registration.name if registration else "")
    return {"status": result.status, "message": message,
            "code": registration.code if registration else None,
            "name": registration.name if registration else None,
            "company": registration.company if registration else None,
            "checked_in_at": at, "time": format_time(at) if at else None}


@pages.route(f"{BASE}/check-in", methods=["GET", "POST"])
@require_permission(EDIT)
def check_in(campaign_id: int) -> Any:
    """The check-in page (camera and typed code); a post checks one code in and answers
    JSON to the page's script, HTML otherwise."""
    session = get_session()
    campaign = _campaign(campaign_id)
    event = _event(campaign)
    form = CheckInForm()
    answer = None
    wants_json = request.accept_mimetypes.best_match(
        ["text/html", "application/json"]) == "application/json"
    if request.method == "POST":
        if not form.validate_on_submit():
            if wants_json:
                return jsonify({"status": "error", "message": _(
                    "The page has expired. Please reload it.")}), 400
        else:
            answer = check_in_answer(services.check_in(session, event, form.code.data,
                                                       current_user))
            session.commit()
            if wants_json:
                return jsonify({**answer, "checked_in_at": answer["checked_in_at"].isoformat()
                                if answer["checked_in_at"] else None,
                                "counts": services.counts(session, event).__dict__})
            form.code.data = ""
    return render_template("marketing/events/check_in.html", campaign=campaign, event=event,
                           form=form, answer=answer, counts=services.counts(session, event))
