"""Campaigns and their cost lines declared as ``toolkit.Resource``s: the list at
``/marketing/campaigns``, forms, the detail page (state moves, the audience preview, cost
lines, approvals) and the API at ``/api/v1/marketing/campaigns``; cost lines at
``/marketing/costs`` (reached from the campaign's page). Writes go through ``campaigns``.

A part of the marketing plugin: ``resources()``, ``approval_subjects()`` and the
``on_approval_decided`` listener.
"""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from marshmallow import Schema, fields, validate
from sqlalchemy import func, select
from wtforms import (
    DateField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from crm_core.toolkit import (
    INT32_MAX,
    ApprovalSubject,
    DomainError,
    Field,
    Filter,
    Panel,
    Preset,
    Resource,
    Section,
    approvals_panel,
    get_session,
)

from . import campaigns
from .events.panel import event_panel
from .models import STATE_LABELS, TYPE_LABELS, TYPES, Campaign, CampaignCost
from .money import Yuan, YuanFormField, money_text
from .tracking.pages import recipients_panel

SUBJECT = campaigns.SUBJECT


class CampaignForm(FlaskForm):
    """A campaign's plan: the budget in yuan."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)],
                       render_kw={"maxlength": 200})
    goal = TextAreaField(_l("Goal"), validators=[Optional(), Length(max=5000)])
    type = SelectField(_l("Type"), choices=[SelectChoice(value, label) for value, label
                                            in TYPE_LABELS.items()], default="email")
    channel = StringField(_l("Channel"), validators=[Optional(), Length(max=100)],
                          render_kw={"maxlength": 100})
    start_date = DateField(_l("Start date"), validators=[Optional()])
    end_date = DateField(_l("End date"), validators=[Optional()])
    budget = YuanFormField(_l("Budget (yuan)"), render_kw={"inputmode": "decimal"})
    expected_responses = IntegerField(_l("Expected responses"), default=0,
                                      validators=[Optional(), NumberRange(0, INT32_MAX)])
    subject = StringField(_l("E-mail subject"), validators=[Optional(), Length(max=200)],
                          render_kw={"maxlength": 200})


def record_id(value: Any) -> int | None:
    """A select's record id: None when none is chosen; ``ValueError`` (a form error) for
    anything but a whole number from 1 to the id column's range."""
    if value in (None, "", "None"):
        return None
    number = int(value)
    if not 1 <= number <= INT32_MAX:
        raise ValueError(value)
    return number


class CostForm(FlaskForm):
    """A cost line: the amount in yuan."""

    campaign_id = SelectField(_l("Campaign"), coerce=record_id, validate_choice=False,
                              validators=[DataRequired()])
    spent_on = DateField(_l("Date"), validators=[DataRequired()])
    item = StringField(_l("Item"), validators=[DataRequired(), Length(max=200)],
                       render_kw={"maxlength": 200})
    amount = YuanFormField(_l("Amount (yuan)"), validators=[DataRequired()],
                           render_kw={"inputmode": "decimal"})


class AudienceIn(Schema):
    """The audience definition (see docs/marketing.md, "Audiences")."""

    segment_id = fields.Integer(allow_none=True, validate=validate.Range(1, INT32_MAX))
    customer_type_id = fields.Integer(allow_none=True, validate=validate.Range(1, INT32_MAX))
    level = fields.String(validate=validate.Length(max=20))
    industry = fields.String(validate=validate.Length(max=100))
    tag_ids = fields.List(fields.Integer(validate=validate.Range(1, INT32_MAX)),
                          validate=validate.Length(max=200))
    exclude_tag_ids = fields.List(fields.Integer(validate=validate.Range(1, INT32_MAX)),
                                  validate=validate.Length(max=200))
    contacts = fields.String(validate=validate.OneOf(("primary", "all")))
    exclude_emails = fields.List(fields.String(validate=validate.Length(max=254)),
                                 validate=validate.Length(max=10_000))


class CampaignIn(Schema):
    """A campaign as the API takes it (POST; PATCH takes any part)."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    goal = fields.String(validate=validate.Length(max=5000))
    type = fields.String(validate=validate.OneOf(TYPES))
    channel = fields.String(validate=validate.Length(max=100))
    start_date = fields.Date(allow_none=True)
    end_date = fields.Date(allow_none=True)
    budget = Yuan(metadata={"description": "Yuan, e.g. \"50000.00\"."})
    expected_responses = fields.Integer(validate=validate.Range(0, INT32_MAX))
    audience = fields.Nested(AudienceIn, allow_none=True)
    subject = fields.String(validate=validate.Length(max=200))
    html = fields.String(validate=validate.Length(max=500_000))
    custom = fields.Dict(keys=fields.String(validate=validate.Length(max=40)),
                         values=fields.Raw(allow_none=True), metadata={
                             "description": "The custom fields an administrator defined, "
                                            "by key (money as a decimal string); keys left "
                                            "out keep their value.",
                             "x-crm-custom-fields": "marketing.campaign"})


def _create(session: Any, values: dict[str, Any], user: Any) -> Campaign:
    return campaigns.create_campaign(session, values, user)


def _update(session: Any, campaign: Campaign, values: dict[str, Any], user: Any) -> Campaign:
    return campaigns.update_campaign(session, campaign, values, user)


def _delete(session: Any, campaign: Campaign, user: Any) -> None:
    campaigns.delete_campaign(session, campaign, user)


def _costs_context(campaign: Campaign) -> dict[str, Any]:
    session = get_session()
    lines = list(session.scalars(select(CampaignCost)
                                 .where(CampaignCost.campaign_id == campaign.id)
                                 .order_by(CampaignCost.spent_on, CampaignCost.id).limit(200)))
    total = session.scalar(select(func.coalesce(func.sum(CampaignCost.amount), 0))
                           .where(CampaignCost.campaign_id == campaign.id)) or 0
    return {"lines": lines, "total": total, "money": money_text}


def _audience_context(campaign: Campaign) -> dict[str, Any]:
    from flask_login import current_user

    from .audience import preview

    if not campaign.audience:
        return {"counts": None, "error": None}
    try:
        return {"counts": preview(get_session(), campaign, current_user), "error": None}
    except (DomainError, ValueError) as error:
        return {"counts": None, "error": str(error)}


def _mail_context(campaign: Campaign) -> dict[str, Any]:
    from .mail.views import panel_context

    return panel_context(campaign)


AUDIENCE_LABELS = {"segment_id": _l("Segment"), "customer_type_id": _l("Customer type"),
                   "level": _l("Level"), "industry": _l("Industry"),
                   "tag_ids": _l("Tags (any of)"),
                   "exclude_tag_ids": _l("Leave out customers tagged"),
                   "contacts": _l("Contacts"),
                   "exclude_emails": _l("Never send to these addresses")}
CONTACT_LABELS = {"primary": _l("The primary contact of each customer"),
                  "all": _l("Every contact with an e-mail address")}


def audience_text(value: Any) -> str:
    """The audience definition as one line of ``label: value`` pairs (the detail page)."""
    if not value:
        return "—"
    parts = []
    for key, item in value.items():
        if item in (None, "", []) or key not in AUDIENCE_LABELS:
            continue
        if key == "contacts":
            item = CONTACT_LABELS.get(item, item)
        elif isinstance(item, list):
            item = ", ".join(map(str, item))
        parts.append(f"{AUDIENCE_LABELS[key]}: {item}")
    return "; ".join(parts) or "—"


_RESOURCES: list[Resource] = []


def _build() -> list[Resource]:
    state_choices = list(STATE_LABELS.items())
    campaigns_resource = Resource(
        model=Campaign, name="campaigns", label=_l("Campaigns"), label_one=_l("Campaign"),
        fields=[Field("name", _l("Name")),
                Field("goal", _l("Goal"), textarea=True),
                Field("type", _l("Type"), choices=list(TYPE_LABELS.items())),
                Field("channel", _l("Channel")),
                Field("start_date", _l("Start date")),
                Field("end_date", _l("End date")),
                Field("budget", _l("Budget"), format=money_text),
                Field("expected_responses", _l("Expected responses")),
                Field("subject", _l("E-mail subject")),
                Field("state", _l("State"), choices=state_choices, form=False),
                Field("owner_id", _l("Owner"), relation="user", form=False),
                Field("approval_id", _l("Approval"), form=False),
                Field("approval_comment", _l("Approval comment"), form=False),
                Field("audience", _l("Audience"), form=False, format=audience_text),
                Field("html", _l("E-mail HTML"), form=False, textarea=True),
                Field("frozen_at", _l("Audience frozen at"), form=False)],
        title_field="name",
        columns=["name", "type", "state", "budget", "start_date", "owner_id"],
        filters=[Filter("state", "choice"), Filter("type", "choice"),
                 Filter("start_date", "date_range"), Filter("owner_id", "relation")],
        sorts=["name"], search=["name"],
        presets=[Preset("mine", _l("Mine"), lambda user: Campaign.owner_id == user.id),
                 Preset("running", _l("Running"), lambda user: Campaign.state == "running")],
        sections=[Section(_l("Campaign"), ["name", "type", "channel", "state", "owner_id",
                                           "goal"]),
                  Section(_l("Plan"), ["start_date", "end_date", "budget",
                                       "expected_responses", "approval_comment"]),
                  Section(_l("E-mail"), ["subject", "audience", "frozen_at"])],
        panels=[Panel(_l("Audience"), "marketing/_audience.html", _audience_context),
                Panel(_l("E-mail"), "marketing/mail/_panel.html", _mail_context),
                Panel(_l("Cost lines"), "marketing/_costs.html", _costs_context),
                recipients_panel(),
                event_panel(),
                approvals_panel(SUBJECT)],
        form_class=CampaignForm,
        api_overrides={"in": CampaignIn, "budget": Yuan(),
                       "audience": fields.Dict(allow_none=True),
                       "html": fields.String()},
        create=_create, update=_update, delete=_delete,
        templates={"detail": "marketing/campaign.html"},
        export_columns=["id", "name", "type", "channel", "state", "start_date", "end_date",
                        "budget", "expected_responses", "owner_id"],
        actions=("view", "create", "edit", "delete", "export"),
        icon="megaphone", order=400)
    costs_resource = Resource(
        model=CampaignCost, name="costs", label=_l("Cost lines"), label_one=_l("Cost line"),
        fields=[Field("campaign_id", _l("Campaign"), relation=Campaign, relation_label="name"),
                Field("spent_on", _l("Date")),
                Field("item", _l("Item")),
                Field("amount", _l("Amount"), format=money_text)],
        title_field="item", columns=["campaign_id", "spent_on", "item", "amount"],
        filters=[Filter("campaign_id", "relation"), Filter("spent_on", "date_range")],
        form_class=CostForm, api_overrides={"amount": Yuan(required=True)},
        actions=("view", "create", "edit", "delete", "export"), menu=False, icon="cash")
    return [campaigns_resource, costs_resource]


def resources() -> list[Resource]:
    """The campaigns and cost lines Resources (built once, when the app asks the hooks)."""
    if not _RESOURCES:
        _RESOURCES.extend(_build())
    return list(_RESOURCES)


def approval_subjects() -> list[ApprovalSubject]:
    """A campaign's budget may need approval (definitions for ``marketing.campaign``)."""
    return [ApprovalSubject(SUBJECT, _l("Campaign"), model=Campaign,
                            url_for_subject=lambda campaign_id: url_for(
                                "marketing_campaigns.detail", campaign_id=campaign_id))]


def on_approval_decided(approval_id: int, subject_kind: str, subject_id: int, status: str,
                        comment: str) -> None:
    """A campaign's budget approval ended (forwarded by ``plugin.py``)."""
    if subject_kind == SUBJECT:
        campaigns.apply_decision(get_session(), approval_id, subject_id, status, comment)
