"""The staff form "log a response" (``/marketing/campaigns/<campaign_id>/responses/new``): a
marketer finds the customer who answered (a call, a visit at the booth) by name, phone or
e-mail and records a manual response; sales then opens or updates the customer's
opportunity for the campaign. A part of the marketing plugin: ``blueprints()``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import IntegerField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from crm_core.toolkit import INT32_MAX, get_scoped_or_404, get_session, require_permission
from plugins.customers import services as customers

from ..models import Campaign
from .service import NOTE_MAX, ResponseError, record_response

EDIT = "marketing.campaign.edit"
QUERY_MAX = 100
MATCHES = 20

bp = Blueprint("marketing_responses", __name__, template_folder="../templates")


class ResponseForm(FlaskForm):
    """A response logged by hand: the customer and a note."""

    customer_id = IntegerField(_l("Customer"), validators=[
        DataRequired(_l("Choose the customer who responded.")), NumberRange(1, INT32_MAX)])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=NOTE_MAX)],
                         render_kw={"maxlength": NOTE_MAX, "rows": 3})


def _matches(query: str) -> list[Any]:
    if len(query.strip()) < 2:
        return []
    return customers.search_customers(get_session(), query, user=current_user, limit=MATCHES)


@bp.route("/marketing/campaigns/<int:campaign_id>/responses/new", methods=["GET", "POST"])
@require_permission(EDIT)
def new_response(campaign_id: int) -> Any:
    """Find the customer and log their response to the campaign."""
    session = get_session()
    campaign = get_scoped_or_404(Campaign, campaign_id, live_only=True)
    query = request.args.get("q", "").replace("\x00", "")[:QUERY_MAX]
    form = ResponseForm()
    if form.validate_on_submit():
        try:
            customer = customers.get_customer(session, form.customer_id.data,
                                              user=current_user)
        except customers.CustomerNotFound as error:
            form.customer_id.errors = [str(error)]
        else:
            try:
                record_response(session, campaign_id=campaign.id, kind="manual",
                                customer_id=customer.id, user_id=current_user.id,
                                note=form.note.data or "")
            except ResponseError as error:
                session.rollback()
                form.customer_id.errors = [str(error)]
            else:
                session.commit()
                flash(_("Response of %(customer)s recorded.", customer=customer.name),
                      "success")
                return redirect(url_for("marketing_evaluation.page", campaign_id=campaign.id))
    status = 422 if request.method == "POST" else 200
    return render_template("marketing/response_form.html", campaign=campaign, form=form,
                           query=query, matches=_matches(query)), status


def blueprints() -> list[Blueprint]:
    """The "log a response" form."""
    return [bp]
