"""A campaign's rules: create, change, delete, move along its states, the budget approval.

States: planned → approved → running → completed → evaluated. Approving a campaign whose
budget exceeds the setting ``marketing.approval_threshold`` (yuan, default 50,000) asks the
kernel's approvals (subject ``marketing.campaign``, the budget in yuan): while a definition's
steps run the campaign is ``pending_approval``; the decision (``crm_approval_decided``)
makes it approved, or planned again with the approver's comment. A budget within the
threshold, or one no definition covers, is approved at once. Services flush, the caller
commits; a refused value raises ``CampaignError`` naming its field.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from crm_core.toolkit import DomainError, get_setting, request_approval, utcnow

from .audience import clean_definition
from .mail.render import check_campaign_mail
from .models import STATE_LABELS, STATES, TYPES, Campaign
from .money import FEN_PER_YUAN, money_text, to_fen

SUBJECT = "marketing.campaign"
THRESHOLD_KEY = "marketing.approval_threshold"
DEFAULT_THRESHOLD = 50_000
#: the moves a user makes (approval decisions make the others)
MOVES = {"planned": ("approved",), "pending_approval": (), "approved": ("running",),
         "running": ("completed",), "completed": ("evaluated",), "evaluated": ()}
TEXT_LIMITS = {"name": 200, "channel": 100, "subject": 200, "goal": 5000, "html": 500_000}
FIELDS = ("name", "goal", "type", "channel", "start_date", "end_date", "budget",
          "expected_responses", "subject", "html", "audience")


class CampaignError(DomainError):
    """A refused campaign change; ``field`` names the field (422 in the API)."""

    def __init__(self, field: str | None, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


def approval_threshold() -> int:
    """The budget (fen) above which approving a campaign asks the kernel's approvals."""
    value = get_setting(THRESHOLD_KEY, DEFAULT_THRESHOLD)
    try:
        return to_fen(value)
    except ValueError:
        return DEFAULT_THRESHOLD * FEN_PER_YUAN


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for name in FIELDS:
        if name not in values:
            continue
        value = values[name]
        if name in TEXT_LIMITS:
            value = str(value or "").strip()
            if len(value) > TEXT_LIMITS[name]:
                raise CampaignError(name, _("At most %(n)d characters.", n=TEXT_LIMITS[name]))
        elif name == "type" and value not in TYPES:
            raise CampaignError("type", _("Not a valid choice."))
        elif name == "budget":
            value = int(value or 0)
        elif name == "expected_responses":
            value = int(value or 0)
            if value < 0:
                raise CampaignError(name, _("Enter a number of zero or more."))
        elif name == "audience" and value is not None:
            value = clean_definition(value)
        clean[name] = value
    if "name" in clean and not clean["name"]:
        raise CampaignError("name", _("A campaign needs a name."))
    check_campaign_mail(clean)  # a broken template is refused at save, with its line
    return clean


def _check_dates(start: dt.date | None, end: dt.date | None) -> None:
    if start is not None and end is not None and end < start:
        raise CampaignError("end_date", _("The end date cannot be before the start date."))


def create_campaign(session: Session, values: dict[str, Any], user: Any) -> Campaign:
    """A new planned campaign owned by ``user`` and their department."""
    clean = _clean(values)
    if not clean.get("name"):
        raise CampaignError("name", _("A campaign needs a name."))
    _check_dates(clean.get("start_date"), clean.get("end_date"))
    owner_id = getattr(user, "id", None)
    campaign = Campaign(**clean, state="planned", owner_id=owner_id,
                        department_id=getattr(user, "department_id", None)
                        if owner_id is not None else None)
    session.add(campaign)
    session.flush()
    return campaign


def update_campaign(session: Session, campaign: Campaign, values: dict[str, Any],
                    user: Any) -> Campaign:
    """Change a campaign. The budget changes only while it is planned (an approved budget
    stays what was approved); the audience only until it is frozen."""
    clean = {name: value for name, value in _clean(values).items()
             if value != getattr(campaign, name)}
    if "budget" in clean and campaign.state != "planned":
        raise CampaignError("budget", _("The budget changes only while the campaign is "
                                        "planned."))
    if "audience" in clean and campaign.frozen_at is not None:
        raise CampaignError("audience", _("The audience is frozen and no longer changes."),
                            409)
    _check_dates(clean.get("start_date", campaign.start_date),
                 clean.get("end_date", campaign.end_date))
    for name, value in clean.items():
        setattr(campaign, name, value)
    session.flush()
    return campaign


def delete_campaign(session: Session, campaign: Campaign, user: Any) -> None:
    """Delete a planned campaign (kept in the trash); a later one is kept for its report."""
    if campaign.state not in ("planned",):
        raise CampaignError(None, _("Only a planned campaign can be deleted."), 409)
    campaign.deleted_at = utcnow()
    session.flush()


def allowed_moves(campaign: Campaign) -> tuple[str, ...]:
    """The states a user may move ``campaign`` to from its present one."""
    return MOVES.get(campaign.state, ())


def change_state(session: Session, campaign: Campaign, state: str, user: Any) -> Campaign:
    """Move ``campaign`` to ``state`` (one of ``allowed_moves``). Approving asks for approval
    when the budget is over the threshold (the campaign waits in ``pending_approval``)."""
    if state not in STATES or state not in allowed_moves(campaign):
        raise CampaignError("state", _("A campaign that is %(now)s cannot become %(next)s.",
                                       now=STATE_LABELS.get(campaign.state, campaign.state),
                                       next=STATE_LABELS.get(state, state)), 409)
    if state == "approved" and campaign.budget > approval_threshold():
        details = _("Budget %(budget)s, %(start)s to %(end)s",
                    budget=money_text(campaign.budget), start=campaign.start_date or "—",
                    end=campaign.end_date or "—")
        result = request_approval(SUBJECT, campaign.id,
                                  _("Campaign %(name)s", name=campaign.name), details,
                                  amount=Decimal(campaign.budget) / FEN_PER_YUAN,
                                  requester=user, session=session)
        campaign.approval_comment = ""
        if result.needed:
            campaign.state, campaign.approval_id = "pending_approval", result.approval_id
            session.flush()
            return campaign
    campaign.state = state
    session.flush()
    return campaign


def apply_decision(session: Session, approval_id: int, campaign_id: int, status: str,
                   comment: str) -> Campaign | None:
    """The kernel's approval of the campaign's budget ended: approved → approved; rejected,
    withdrawn or closed → planned, keeping the comment."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None or campaign.state != "pending_approval" \
            or campaign.approval_id != approval_id:
        return None
    if status == "approved":
        campaign.state = "approved"
    elif status in ("rejected", "withdrawn", "closed"):
        campaign.state = "planned"
        campaign.approval_comment = (comment or "").strip()
    session.flush()
    return campaign
