"""The audience editor: ``/marketing/campaigns/<campaign_id>/audience/edit`` sets a campaign's
audience definition from a form (segment, classification, tags, contacts, exclusions) and
returns to the campaign's page, whose Audience panel previews it. A part of the marketing
plugin: ``blueprints()``.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional, ValidationError

from crm_core.toolkit import (
    INT32_MAX,
    DomainError,
    get_scoped_or_404,
    get_session,
    require_permission,
)
from plugins.customers import services as customers

from . import campaigns
from .audience import EMAILS_MAX, IDS_MAX
from .models import Campaign

EDIT = "marketing.campaign.edit"
SPLIT = re.compile(r"[\s,;，；]+")

bp = Blueprint("marketing_audience_page", __name__, template_folder="templates")


def _ids(text: str | None) -> list[int]:
    items = [item for item in SPLIT.split(text or "") if item]
    if len(items) > IDS_MAX or not all(item.isdigit() and len(item) <= 10
                                       and 0 < int(item) <= INT32_MAX for item in items):
        raise ValidationError(_("Give tag numbers separated by commas (at most %(n)d).",
                                n=IDS_MAX))
    return [int(item) for item in items]


def _optional_id(value: Any) -> int | None:
    if value in (None, "", "None"):
        return None
    number = int(value)
    if not 1 <= number <= INT32_MAX:
        raise ValueError(value)
    return number


class AudienceForm(FlaskForm):
    """Who a campaign reaches."""

    segment_id = SelectField(_l("Segment"), coerce=_optional_id, validate_choice=False)
    customer_type_id = SelectField(_l("Customer type"), coerce=_optional_id,
                                   validate_choice=False)
    level = StringField(_l("Level"), validators=[Optional(), Length(max=20)],
                        render_kw={"maxlength": 20})
    industry = StringField(_l("Industry"), validators=[Optional(), Length(max=100)],
                           render_kw={"maxlength": 100})
    tag_ids = StringField(_l("Tags (any of)"), validators=[Optional(), Length(max=2000)],
                          description=_l("Tag numbers separated by commas, as on the "
                                         "customers' tag list."))
    exclude_tag_ids = StringField(_l("Leave out customers tagged"),
                                  validators=[Optional(), Length(max=2000)])
    contacts = SelectField(_l("Contacts"), default="primary", choices=[
        SelectChoice("primary", _l("The primary contact of each customer")),
        SelectChoice("all", _l("Every contact with an e-mail address"))])
    exclude_emails = TextAreaField(_l("Never send to these addresses"),
                                   validators=[Optional(), Length(max=EMAILS_MAX * 60)],
                                   description=_l("One address per line."))

    def validate_tag_ids(self, field: StringField) -> None:
        """Tag numbers only."""
        _ids(field.data)

    def validate_exclude_tag_ids(self, field: StringField) -> None:
        """Tag numbers only."""
        _ids(field.data)


def _fill(form: AudienceForm, campaign: Campaign) -> None:
    session = get_session()
    form.segment_id.choices = [SelectChoice("", "—")] + [
        SelectChoice(str(segment.id), segment.name)
        for segment in customers.list_segments(session, user=current_user)]
    form.customer_type_id.choices = [SelectChoice("", "—")] + [
        SelectChoice(str(type_id), name)
        for type_id, name in customers.list_customer_types(session)]


def _definition(form: AudienceForm) -> dict[str, Any]:
    return {"segment_id": form.segment_id.data, "customer_type_id": form.customer_type_id.data,
            "level": form.level.data or "", "industry": form.industry.data or "",
            "tag_ids": _ids(form.tag_ids.data), "exclude_tag_ids": _ids(form.exclude_tag_ids.data),
            "contacts": form.contacts.data or "primary",
            "exclude_emails": [item for item in SPLIT.split(form.exclude_emails.data or "")
                               if item][:EMAILS_MAX]}


@bp.route("/marketing/campaigns/<int:campaign_id>/audience/edit", methods=["GET", "POST"])
@require_permission(EDIT)
def edit_audience(campaign_id: int) -> Any:
    """The audience form of a campaign whose audience is not frozen yet."""
    campaign = get_scoped_or_404(Campaign, campaign_id, live_only=True)
    back = url_for("marketing_campaigns.detail", campaign_id=campaign_id)
    if campaign.frozen_at is not None:
        flash(_("The audience is frozen and no longer changes."), "warning")
        return redirect(back)
    stored = campaign.audience or {}
    form = AudienceForm(data={
        **{key: stored.get(key) for key in ("segment_id", "customer_type_id", "level",
                                            "industry")},
        "tag_ids": ", ".join(map(str, stored.get("tag_ids") or [])),
        "exclude_tag_ids": ", ".join(map(str, stored.get("exclude_tag_ids") or [])),
        "contacts": stored.get("contacts") or "primary",
        "exclude_emails": "\n".join(stored.get("exclude_emails") or [])})
    _fill(form, campaign)
    if form.validate_on_submit():
        session = get_session()
        try:
            campaigns.update_campaign(session, campaign, {"audience": _definition(form)},
                                      current_user)
        except DomainError as error:
            session.rollback()
            name = (getattr(error, "field", None) or "").removeprefix("audience.")
            target = getattr(form, name, None) if name else None
            if target is not None and hasattr(target, "errors"):
                target.errors = [*target.errors, str(error)]
            else:
                flash(str(error), "danger")
        else:
            session.commit()
            flash(_("Audience saved."), "success")
            return redirect(back)
    return render_template("marketing/audience_form.html", form=form, campaign=campaign,
                           back=back), 400 if form.errors else 200


def blueprints() -> list[Blueprint]:
    """The audience editor."""
    return [bp]


