"""Counting opens and clicks, and reading them back for the campaign's page.

An open stamps "delivered" and "opened" on the recipient (an open implies the mail arrived);
a click stamps those and "clicked", adds one to the recipient's count for that link and, on a
call to action clicked for the first time by that recipient, records a response (the
responses part's ``record_response``). Every stamp goes through ``members.advance``, so a
replayed pixel or click counts nothing twice. Services flush; the caller commits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, cast, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from crm_core.toolkit import INT32_MAX, utcnow

from ..members import advance
from ..models import MEMBER_STATUSES, CampaignMember
from .models import LinkClick, TrackedLink

__all__ = ["PAGE_SIZE", "Click", "add_link_clicks", "click_of", "link_of", "link_stats",
           "note_click", "note_open", "recipients_page", "respond", "status_counts",
           "valid_ids"]

PAGE_SIZE = 50


@dataclass(frozen=True)
class Click:
    """What a genuine click token leads to: the link (None: not a link of the campaign) and
    the recipient (None: no longer in the audience)."""

    link_id: int | None
    url: str | None
    is_cta: bool
    member: Any


def valid_ids(payload: Any, count: int) -> list[int] | None:
    """The ``count`` ids of a token's payload, or None when it is not that shape."""
    if not isinstance(payload, list) or len(payload) != count:
        return None
    if not all(type(item) is int and 0 < item <= INT32_MAX for item in payload):
        return None
    return list(payload)


def _member(session: Session, campaign_id: int, member_id: int) -> Any:
    return session.execute(
        select(CampaignMember.id, CampaignMember.email, CampaignMember.customer_id,
               CampaignMember.contact_id, CampaignMember.delivered_at,
               CampaignMember.opened_at, CampaignMember.clicked_at)
        .where(CampaignMember.id == member_id, CampaignMember.campaign_id == campaign_id)
    ).first()


def _reach(session: Session, member: Any, stages: tuple[str, ...], at: dt.datetime) -> None:
    """Stamp the ``stages`` the recipient has not reached yet (a replay writes nothing)."""
    for stage in stages:
        if getattr(member, f"{stage}_at") is None:
            advance(session, [member.id], stage, at)


def note_open(session: Session, campaign_id: int, member_id: int,
              at: dt.datetime | None = None) -> bool:
    """Count recipient ``member_id``'s open of campaign ``campaign_id``'s mail; whether the
    recipient is one of the campaign's (else nothing is counted)."""
    member = _member(session, campaign_id, member_id)
    if member is None:
        return False
    _reach(session, member, ("delivered", "opened"), at or utcnow())
    return True


def link_of(session: Session, campaign_id: int, number: int) -> Any:
    """The campaign's link ``number`` (id, url, is_cta), or None."""
    return session.execute(select(TrackedLink.id, TrackedLink.url, TrackedLink.is_cta).where(
        TrackedLink.campaign_id == campaign_id, TrackedLink.number == number)).first()


def click_of(session: Session, campaign_id: int, member_id: int, number: int) -> Click:
    """The link ``number`` of the campaign and the recipient a click token names."""
    link = link_of(session, campaign_id, number)
    if link is None:
        return Click(None, None, False, None)
    return Click(link.id, link.url, bool(link.is_cta), _member(session, campaign_id, member_id))


def _insert(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    return pg_insert if dialect == "postgresql" else sqlite_insert


def note_click(session: Session, campaign_id: int, click: Click,
               at: dt.datetime | None = None) -> int:
    """Count ``click`` (its link and recipient known); answers the recipient's clicks on
    that link so far (1: the first)."""
    if click.member is None or click.link_id is None:
        return 0
    moment = at or utcnow()
    member_id = click.member.id
    _reach(session, click.member, ("delivered", "opened", "clicked"), moment)
    clicks = add_link_clicks(session, click.link_id, member_id, 1, moment)
    if click.is_cta and clicks == 1:
        respond(session, campaign_id, click.member)
    return clicks


def add_link_clicks(session: Session, link_id: int, member_id: int, count: int,
                    at: dt.datetime) -> int:
    """Add ``count`` clicks of recipient ``member_id`` on link ``link_id`` (one upsert);
    answers their clicks on it so far."""
    insert = _insert(session)(LinkClick).values(
        link_id=link_id, member_id=member_id, clicks=count, first_at=at, last_at=at)
    clicks = session.scalar(insert.on_conflict_do_update(
        index_elements=[LinkClick.link_id, LinkClick.member_id],
        set_={"clicks": LinkClick.clicks + count, "last_at": at}).returning(LinkClick.clicks))
    return int(clicks or 0)


def respond(session: Session, campaign_id: int, member: Any) -> None:
    """Record recipient ``member``'s click on a call to action as a response."""
    # the responses part's service (its own rows and the campaign_response hook)
    from ..responses.service import record_response

    record_response(session, campaign_id=campaign_id, kind="click", member_id=member.id,
                    email=member.email, customer_id=member.customer_id,
                    contact_id=member.contact_id)


def status_counts(session: Session, campaign_id: int) -> dict[str, int]:
    """How many recipients of the campaign are at each status (funnel order, zeros kept)."""
    counts = dict.fromkeys(MEMBER_STATUSES, 0)
    for status, count in session.execute(
            select(CampaignMember.status, func.count())
            .where(CampaignMember.campaign_id == campaign_id)
            .group_by(CampaignMember.status)):
        counts[status] = int(count)
    return counts


def link_stats(session: Session, campaign_id: int) -> list[Any]:
    """The campaign's links in number order, each with its total clicks and how many
    recipients clicked it."""
    clicks = (select(LinkClick.link_id, func.count().label("people"),
                     func.sum(LinkClick.clicks).label("clicks"))
              .join(TrackedLink, TrackedLink.id == LinkClick.link_id)
              .where(TrackedLink.campaign_id == campaign_id)
              .group_by(LinkClick.link_id).subquery())
    return list(session.execute(
        select(TrackedLink.number, TrackedLink.url, TrackedLink.is_cta,
               func.coalesce(clicks.c.people, 0).label("people"),
               cast(func.coalesce(clicks.c.clicks, 0), BigInteger).label("clicks"))
        .outerjoin(clicks, clicks.c.link_id == TrackedLink.id)
        .where(TrackedLink.campaign_id == campaign_id)
        .order_by(TrackedLink.number)))


def recipients_page(session: Session, campaign_id: int, status: str | None = None,
                    after: int | None = None, size: int = PAGE_SIZE
                    ) -> tuple[list[Any], int | None]:
    """One page of the campaign's recipients in id order (``status``: only those), from the
    one after id ``after``; answers the rows and the id to continue after (None: last page).
    A keyset page: one index seek at any depth."""
    statement = select(CampaignMember).where(CampaignMember.campaign_id == campaign_id)
    if status:
        statement = statement.where(CampaignMember.status == status)
    if after:
        statement = statement.where(CampaignMember.id > after)
    rows = list(session.scalars(statement.order_by(CampaignMember.id).limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    return rows, (rows[-1].id if more and rows else None)
