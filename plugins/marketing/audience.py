"""A campaign's audience: who it reaches, counted before and frozen when it is fixed.

The definition (stored on the campaign as JSON) picks customers through the customers
plugin's public services only: a saved segment (``get_segment`` / ``segment_filters``), the
classification (``customer_type_id``, ``level``, ``industry``) and tags (any of
``tag_ids``), all as ``filter_conditions`` builds them, limited to the customers the user may
see. Their contacts with an e-mail address are chosen (``contacts``: ``primary`` or ``all``),
less the customers carrying an ``exclude_tag_ids`` tag and the addresses of
``exclude_emails``. An address is eligible only while its consent state for
``marketing_email`` is granted: a withdrawal (an unsubscribe) or no consent at all drops it,
and the preview counts why.

Freezing writes the eligible addresses into ``marketing_campaign_member`` in one
``INSERT … SELECT`` (one row per address), so the snapshot never follows later tag changes.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, case, distinct, false, func, insert, or_, select
from sqlalchemy.orm import Session

from crm_core.toolkit import INT32_MAX, DomainError, model_for_table, scoped, utcnow
from plugins.customers import services as customers

from .models import Campaign, CampaignMember, ConsentState

PURPOSE = "marketing_email"
CONTACT_MODES = ("primary", "all")
IDS_MAX = 200
EMAILS_MAX = 10_000
TEXT_KEYS = {"level": 20, "industry": 100}


class AudienceError(DomainError):
    """A refused audience definition or freeze; ``field`` names the part (422 / 409)."""

    def __init__(self, field: str | None, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


def _ids(value: Any, field: str) -> list[int]:
    if value in (None, ""):
        return []
    if not isinstance(value, list | tuple) or len(value) > IDS_MAX or not all(
            isinstance(item, int) and not isinstance(item, bool) and 0 < item <= INT32_MAX
            for item in value):
        raise AudienceError(f"audience.{field}", _("Give a list of at most %(n)d ids.",
                                                   n=IDS_MAX))
    return sorted(set(value))


def clean_definition(value: Any) -> dict[str, Any]:
    """The definition as stored: known keys only, ids checked, addresses trimmed and in
    lower case; ``AudienceError`` naming the refused key."""
    if not isinstance(value, dict):
        raise AudienceError("audience", _("The audience is an object of filters."))
    clean: dict[str, Any] = {}
    for key in ("segment_id", "customer_type_id"):
        item = value.get(key)
        if item not in (None, ""):
            if not isinstance(item, int) or isinstance(item, bool) or not 0 < item <= INT32_MAX:
                raise AudienceError(f"audience.{key}", _("Not a valid choice."))
            clean[key] = item
    for key, limit in TEXT_KEYS.items():
        text = str(value.get(key) or "").strip()
        if len(text) > limit:
            raise AudienceError(f"audience.{key}", _("At most %(n)d characters.", n=limit))
        if text:
            clean[key] = text
    clean["tag_ids"] = _ids(value.get("tag_ids"), "tag_ids")
    clean["exclude_tag_ids"] = _ids(value.get("exclude_tag_ids"), "exclude_tag_ids")
    mode = value.get("contacts") or "primary"
    if mode not in CONTACT_MODES:
        raise AudienceError("audience.contacts", _("Not a valid choice."))
    clean["contacts"] = mode
    emails = value.get("exclude_emails") or []
    if not isinstance(emails, list) or len(emails) > EMAILS_MAX or not all(
            isinstance(item, str) and len(item) <= 254 for item in emails):
        raise AudienceError("audience.exclude_emails",
                            _("Give a list of at most %(n)d addresses.", n=EMAILS_MAX))
    clean["exclude_emails"] = sorted({item.strip().lower() for item in emails if item.strip()})
    return clean


def _customer_ids(session: Session, definition: dict[str, Any], user: Any) -> Any:
    """The chosen customers' ids, as a subquery (scoped to ``user``)."""
    customer = model_for_table(customers.CUSTOMER_TABLE)
    query = scoped(select(customer.id), customer, user).where(customer.deleted_at.is_(None))
    filters: dict[str, Any] = {}
    if definition.get("segment_id"):
        segment = customers.get_segment(session, definition["segment_id"], user=user)
        filters.update(customers.segment_filters(segment))
        filters.pop("trash", None)
    for key in ("customer_type_id", "level", "industry"):
        if definition.get(key):
            filters[key] = definition[key]
    for condition in customers.filter_conditions(filters):
        query = query.where(condition)
    tags = [condition for tag in definition.get("tag_ids") or ()
            for condition in customers.filter_conditions({"tag_id": tag})]
    if tags:
        query = query.where(or_(*tags))
    excluded = [condition for tag in definition.get("exclude_tag_ids") or ()
                for condition in customers.filter_conditions({"tag_id": tag})]
    if excluded:
        query = query.where(~or_(*excluded))
    return query


def _rows(session: Session, definition: dict[str, Any], user: Any) -> Any:
    """Every chosen contact: ``contact_id``, ``customer_id``, ``email`` (normalised, '' when
    none), left-joined to its consent state."""
    contact = model_for_table(customers.CONTACT_TABLE)
    email = func.lower(func.trim(func.coalesce(contact.email, "")))
    query = select(contact.id.label("contact_id"), contact.customer_id.label("customer_id"),
                   email.label("email")).where(
        contact.customer_id.in_(_customer_ids(session, definition, user)))
    if definition.get("contacts", "primary") == "primary":
        query = query.where(contact.is_primary.is_(True))
    rows = query.subquery("audience")
    joined = rows.outerjoin(ConsentState, and_(ConsentState.email == rows.c.email,
                                               ConsentState.purpose == PURPOSE))
    return rows, joined


def _definition(campaign: Campaign) -> dict[str, Any]:
    definition = campaign.audience
    if not definition:
        raise AudienceError("audience", _("Define the campaign's audience first."))
    return clean_definition(definition)


def preview(session: Session, campaign: Campaign, user: Any) -> dict[str, Any]:
    """``{"eligible", "excluded": {"no_consent", "unsubscribed", "no_email", "listed"}}``:
    distinct addresses that would be reached, and why the others are dropped (contacts
    without an address counted per contact). A frozen campaign answers its members."""
    if campaign.frozen_at is not None:
        members = session.scalar(select(func.count()).select_from(CampaignMember)
                                 .where(CampaignMember.campaign_id == campaign.id)) or 0
        return {"eligible": members, "frozen": True, "excluded": {
            "no_consent": 0, "unsubscribed": 0, "no_email": 0, "listed": 0}}
    definition = _definition(campaign)
    rows, joined = _rows(session, definition, user)
    has_email = rows.c.email != ""
    listed = rows.c.email.in_(definition["exclude_emails"]) if definition["exclude_emails"] \
        else false()
    kept = and_(has_email, ~listed)

    def addresses(condition: Any) -> Any:
        return func.count(distinct(case((condition, rows.c.email))))

    counts = session.execute(select(
        addresses(and_(kept, ConsentState.granted.is_(True))),
        addresses(and_(kept, ConsentState.granted.is_(False))),
        addresses(and_(kept, ConsentState.email.is_(None))),
        func.count(case((~has_email, 1))),
        addresses(and_(has_email, listed))).select_from(joined)).one()
    return {"eligible": counts[0], "frozen": False,
            "excluded": {"unsubscribed": counts[1], "no_consent": counts[2],
                         "no_email": counts[3], "listed": counts[4]}}


def freeze(session: Session, campaign: Campaign, user: Any) -> int:
    """Write the eligible addresses as the campaign's members (status ``planned``) in one
    set-based statement and mark the audience frozen; returns how many. A second freeze is
    refused (409): the snapshot stays as it was taken."""
    if campaign.frozen_at is not None:
        raise AudienceError("audience", _("The audience is already frozen."), 409)
    definition = _definition(campaign)
    rows, joined = _rows(session, definition, user)
    eligible = (select(bindparam("campaign", campaign.id), func.min(rows.c.contact_id),
                       func.min(rows.c.customer_id), rows.c.email,
                       bindparam("status", "planned"), bindparam("now", utcnow()))
                .select_from(joined)
                .where(rows.c.email != "", ConsentState.granted.is_(True))
                .group_by(rows.c.email))
    if definition["exclude_emails"]:
        eligible = eligible.where(rows.c.email.not_in(definition["exclude_emails"]))
    session.execute(insert(CampaignMember).from_select(
        ["campaign_id", "contact_id", "customer_id", "email", "status", "created_at"],
        eligible))
    # people whose data was erased never come back, whatever their address's consent says
    from .privacy import drop_suppressed

    drop_suppressed(session, campaign.id)
    campaign.frozen_at = utcnow()
    session.flush()
    # counted, not the INSERT's row count: PostgreSQL's driver reports none through the ORM
    return member_count(session, campaign.id)


def member_count(session: Session, campaign_id: int) -> int:
    """How many addresses the campaign's frozen audience holds."""
    return session.scalar(select(func.count()).select_from(CampaignMember)
                          .where(CampaignMember.campaign_id == campaign_id)) or 0
