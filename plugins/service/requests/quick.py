"""Quick entry (快速登记): the page an agent keeps open while the phone rings.

``/service/requests/quick`` finds the caller as the agent types a phone number, a name, a
code or pinyin (customers' public ``search_customers``, in the agent's scope; htmx asks
``/service/requests/quick/callers`` for the matches, and without JavaScript the Find button
reloads the page with them). The agent picks a match, or types a new caller's name and phone
(customers' ``match_or_create_customer``, which finds them after all when the phone or
e-mail is known: no duplicate), then the request: type, channel, subject, content,
priority. Saving enters the request with its first ticket (``requests.services``) and opens
it. A part of the service plugin: ``blueprints()``, ``menu_items()``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import (
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, Optional

from crm_core.toolkit import DomainError, MenuItem, get_session, require_permission
from plugins.customers import services as customers

from ..models.choices import CHANNEL_LABELS, PRIORITY_LABELS, REQUEST_TYPE_LABELS
from ..permissions import REQUEST_CREATE
from .services import create_request

bp = Blueprint("service_quick_entry", __name__, template_folder="../templates")
SEARCH_MAX = 100
MATCHES = 8


def _choices(labels: dict[str, Any]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


class QuickForm(FlaskForm):
    """The caller (a match, or a new one's name and phone) and what they asked."""

    customer_id = IntegerField(_l("Caller"), validators=[Optional()])
    name = StringField(_l("New caller's name"), validators=[Optional(), Length(max=100)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    company = StringField(_l("Company"), validators=[Optional(), Length(max=200)])
    type = RadioField(_l("Type"), choices=_choices(REQUEST_TYPE_LABELS),
                      default="inquiry")
    channel = SelectField(_l("Channel"), choices=_choices(CHANNEL_LABELS),
                          default="phone")
    subject = StringField(_l("Subject"), validators=[Length(max=200)])
    content = TextAreaField(_l("Content"), validators=[Optional(), Length(max=10000)])
    priority = SelectField(_l("Priority"), choices=_choices(PRIORITY_LABELS),
                           default="normal")


def blueprints() -> list[Blueprint]:
    """The quick entry pages."""
    return [bp]


def menu_items() -> list[MenuItem]:
    """"Quick entry" under the service requests."""
    return [MenuItem(id="service.quick_entry", label=_l("Quick entry"),
                     endpoint="service_quick_entry.page", permission=REQUEST_CREATE,
                     icon="telephone-inbound", order=399, parent="service.requests")]


def _callers(text: str) -> list[dict[str, Any]]:
    """The customers matching ``text`` (two characters and up) the agent may see."""
    text = text.strip()[:SEARCH_MAX]
    if len(text.replace(" ", "")) < 2:
        return []
    found = customers.search_customers(get_session(), text, user=current_user, limit=MATCHES)
    return [{"id": customer.id, "name": customer.name, "code": customer.code or "",
             "phones": list(customer.phones or [])[:2], "level": customer.level or ""}
            for customer in found]


def _chosen(form: QuickForm) -> list[dict[str, Any]]:
    """The chosen caller as a match, so that a form shown again keeps it."""
    if not isinstance(form.customer_id.data, int):
        return []
    try:
        customer = customers.get_customer(get_session(), form.customer_id.data,
                                          user=current_user)
    except customers.CustomerNotFound:
        return []
    return [{"id": customer.id, "name": customer.name, "code": customer.code or "",
             "phones": list(customer.phones or [])[:2], "level": customer.level or ""}]


def _page(form: QuickForm, query: str, status: int = 200) -> Any:
    matches = _callers(query)
    chosen = _chosen(form)
    if chosen and chosen[0]["id"] not in {match["id"] for match in matches}:
        matches = chosen + matches
    return render_template("service/quick/entry.html", form=form, query=query,
                           matches=matches, searched=len(query.strip()) >= 2,
                           chosen_id=form.customer_id.data), status


@bp.get("/service/requests/quick")
@require_permission(REQUEST_CREATE)
def page() -> Any:
    """The quick entry page, with the callers matching ``?q=``."""
    form = QuickForm()
    if request.args.get("customer_id", "").isdigit():
        form.customer_id.data = int(request.args["customer_id"][:10])
    return _page(form, request.args.get("q", ""))


@bp.get("/service/requests/quick/callers")
@require_permission(REQUEST_CREATE)
def callers() -> Any:
    """The matching callers as the page's radio list (htmx)."""
    query = request.args.get("q", "")
    return render_template("service/quick/_callers.html", matches=_callers(query),
                           searched=len(query.strip()) >= 2, chosen_id=None)


def _caller_id(session: Any, form: QuickForm) -> int:
    if isinstance(form.customer_id.data, int):
        return form.customer_id.data
    name, phone = (form.name.data or "").strip(), (form.phone.data or "").strip()
    if not name and not phone:
        raise _FormError("customer_id", _("Choose the caller, or enter a new caller's name "
                                          "and phone."))
    try:
        match = customers.match_or_create_customer(
            session, name=name, phone=phone, company=(form.company.data or "").strip(),
            source=str(_("Service hotline")), owner_id=current_user.id,
            reason="service quick entry")
    except DomainError as error:
        raise _FormError(getattr(error, "field", None) or "name", str(error)) from None
    return match.customer.id


class _FormError(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@bp.post("/service/requests/quick")
@require_permission(REQUEST_CREATE)
def enter() -> Any:
    """Enter the request (and the new caller) and open it; the form again when refused."""
    form = QuickForm()
    query = request.form.get("q", "")
    if not form.validate():
        return _page(form, query, 400)
    session = get_session()
    try:
        customer_id = _caller_id(session, form)
        entered = create_request(session, {
            "customer_id": customer_id, "type": form.type.data, "channel": form.channel.data,
            "subject": form.subject.data, "content": form.content.data,
            "priority": form.priority.data}, current_user)
    except (_FormError, DomainError) as error:
        session.rollback()
        field = getattr(form, getattr(error, "field", None) or "", None)
        (field.errors if field is not None else form.subject.errors).append(str(error))
        return _page(form, query, 400)
    session.commit()
    flash(_("Request %(number)s entered.", number=entered.number), "success")
    return redirect(url_for("service_requests.detail", request_id=entered.id))
