"""Sending a campaign: freeze its audience, then queue one mail per member in the outbox.

``start_send`` checks the campaign (approved or running, a subject and an HTML body that
render), freezes the audience when it is not frozen yet, moves the campaign to running and
writes its ``MailSend``; with an A/B test it marks a random sample of members ``A`` or ``B``.
``queue_all`` then queues the members of the current phase in batches, each batch one
transaction that remembers the last member queued: a crashed worker's send goes on from
there, and the idempotency key ``marketing:<campaign>:<member>`` keeps a repeated batch from
queueing anyone twice. Each mail goes through the ``marketing_mail`` channel
(``delivery.py``), which re-checks consent when it leaves.

Rate per domain: the n-th mail of a run to one domain is held back ``n // rate`` minutes
(``CRM_MARKETING_DOMAIN_RATE`` mails per minute and domain, default 600) with the outbox's
``delay``.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter
from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from crm_core.toolkit import (
    DomainError,
    db,
    model_for_table,
    outbox,
    plugin_config,
    record_event,
    utcnow,
)
from plugins.customers.services import CONTACT_TABLE, CUSTOMER_TABLE

from .. import audience
from ..models import Campaign, CampaignMember, ConsentState
from . import links, render
from .models import METRICS, MailSend

CHANNEL = "marketing_mail"
BATCH = 500
SENDABLE = ("approved", "running")


class SendError(DomainError):
    """A send refused; ``field`` names the part (422), or the state is wrong (409)."""

    def __init__(self, field: str | None, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


def idempotency_key(campaign_id: int, member_id: int) -> str:
    """The outbox key of one member's mail: the same member is never queued twice."""
    return f"marketing:{campaign_id}:{member_id}"


def domain_rate() -> int:
    """Mails per minute to one recipient domain (``CRM_MARKETING_DOMAIN_RATE``)."""
    try:
        return max(1, int(plugin_config("marketing", "domain_rate", 600)))
    except (TypeError, ValueError):
        return 600


def inline_limit() -> int:
    """Up to this many members a send is queued in the request; more go to a job."""
    try:
        return max(0, int(plugin_config("marketing", "send_inline", 2000)))
    except (TypeError, ValueError):
        return 2000


def _check_ab(values: dict[str, Any]) -> tuple[str, int, str]:
    subject_b = str(values.get("subject_b") or "").strip()
    percent = values.get("sample_percent") or 0
    metric = values.get("metric") or "opens"
    if not subject_b:
        return "", 0, "opens"
    if len(subject_b) > 200:
        raise SendError("subject_b", _("At most %(n)d characters.", n=200), 422)
    render.check_template(subject_b, "subject_b")
    if not isinstance(percent, int) or isinstance(percent, bool) or not 2 <= percent <= 100:
        raise SendError("sample_percent", _("Enter a share from 2 to 100 percent."), 422)
    if metric not in METRICS:
        raise SendError("metric", _("Not a valid choice."), 422)
    return subject_b, percent, metric


def start_send(session: Session, campaign: Campaign, user: Any, ab: dict[str, Any] | None = None,
               base_url: str = "") -> MailSend:
    """Start sending ``campaign`` (see the module); the caller commits, then queues."""
    if session.get(MailSend, campaign.id) is not None:
        raise SendError(None, _("This campaign has been sent already."))
    if campaign.state not in SENDABLE:
        raise SendError("state", _("Only an approved or running campaign can be sent."))
    if not campaign.subject or not campaign.html:
        raise SendError("html", _("Write the e-mail's subject and body first."), 422)
    render.compile_mail(campaign.subject, campaign.html)
    subject_b, percent, metric = _check_ab(ab or {})
    base = base_url or links.site_base()
    if not base:
        raise SendError(None, _("Set CRM_BASE_URL: the mails' links need the site's address."),
                        422)
    if campaign.frozen_at is None:
        audience.freeze(session, campaign, user)
    total = audience.member_count(session, campaign.id)
    send = MailSend(campaign_id=campaign.id, subject_b=subject_b, sample_percent=percent,
                    metric=metric, base_url=base, user_id=getattr(user, "id", None),
                    phase="sample" if subject_b else "all", state="queuing", started_at=utcnow())
    if subject_b:
        send.total = _draw_sample(session, campaign.id, total, percent)
        hours = float(plugin_config("marketing", "ab_wait_hours", 4) or 4)
        send.winner_at = utcnow() + dt.timedelta(hours=hours)
    else:
        send.total = total
    session.add(send)
    if campaign.state == "approved":
        campaign.state = "running"
    session.flush()
    record_event("marketing_send", _("Campaign %(name)s sent to %(n)d addresses",
                                     name=campaign.name, n=total)[:500], model=Campaign,
                 record_id=campaign.id, changes={"members": total, "subject_b": subject_b,
                                                 "sample_percent": percent},
                 session=session)
    return send


def _draw_sample(session: Session, campaign_id: int, total: int, percent: int) -> int:
    """Mark a random ``percent`` of the members A or B (half each); returns how many."""
    ids = list(session.scalars(select(CampaignMember.id)
                               .where(CampaignMember.campaign_id == campaign_id)))
    size = min(len(ids), max(2, math.ceil(total * percent / 100)))
    sample = random.SystemRandom().sample(ids, size)
    for variant, chosen in (("A", sample[0::2]), ("B", sample[1::2])):
        for start in range(0, len(chosen), 5000):
            session.execute(update(CampaignMember)
                            .where(CampaignMember.id.in_(chosen[start:start + 5000]))
                            .values(variant=variant).execution_options(synchronize_session=False))
    return size


def _names(session: Session, model_table: str, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    model = model_for_table(model_table)
    return dict(session.execute(select(model.id, model.name).where(model.id.in_(ids))).all())


def _batch(session: Session, send: MailSend, limit: int) -> list[CampaignMember]:
    query = (select(CampaignMember)
             .join(ConsentState, and_(ConsentState.email == CampaignMember.email,
                                      ConsentState.purpose == audience.PURPOSE))
             .where(CampaignMember.campaign_id == send.campaign_id,
                    CampaignMember.id > send.last_member_id,
                    CampaignMember.unsubscribed_at.is_(None),
                    ConsentState.granted.is_(True)))
    if send.phase == "sample":
        query = query.where(CampaignMember.variant.in_(("A", "B")))
    elif send.phase == "rest":
        query = query.where(CampaignMember.variant == "")
    return list(session.scalars(query.order_by(CampaignMember.id).limit(limit)))


def _subject_of(campaign: Campaign, send: MailSend, member: CampaignMember) -> str:
    letter = member.variant if send.phase == "sample" else send.winner
    return send.subject_b if letter == "B" else campaign.subject


def queue_batch(session: Session, send: MailSend, campaign: Campaign,
                per_domain: Counter[str], limit: int = BATCH) -> int:
    """Queue the next ``limit`` members of the send's phase; returns how many were looked
    at (0: the phase is done). The caller commits."""
    members = _batch(session, send, limit)
    if not members:
        return 0
    contacts = _names(session, CONTACT_TABLE, {m.contact_id for m in members if m.contact_id})
    customers = _names(session, CUSTOMER_TABLE,
                       {m.customer_id for m in members if m.customer_id})
    compiled: dict[str, render.Compiled] = {}
    rate = domain_rate()
    for member in members:
        subject = _subject_of(campaign, send, member)
        if subject not in compiled:
            compiled[subject] = render.compile_mail(subject, campaign.html)
        url = links.unsubscribe_url(send.base_url, member.id)
        context = {"contact_name": contacts.get(member.contact_id or 0, ""),
                   "customer_name": customers.get(member.customer_id or 0, ""),
                   "email": member.email, "campaign_name": campaign.name,
                   "unsubscribe_url": url}
        title, html, text = render.render(compiled[subject], context, campaign_id=campaign.id,
                                          member_id=member.id, session=session)
        domain = member.email.rpartition("@")[2]
        delay = (per_domain[domain] // rate) * 60
        per_domain[domain] += 1
        outbox.enqueue(CHANNEL, {"campaign_id": campaign.id, "member_id": member.id,
                                 "to": [member.email], "subject": title, "text": text,
                                 "html": html, "headers": links.unsubscribe_headers(url)},
                       idempotency_key(campaign.id, member.id), delay=delay, session=session)
    send.last_member_id = members[-1].id
    send.queued += len(members)
    session.flush()
    return len(members)


def queue_all(campaign_id: int, progress: Callable[[float, str], Any] | None = None,
              limit: int | None = None) -> int:
    """Queue the current phase of the campaign's send, batch by batch, each committed on its
    own; ``limit`` stops after that many batches (tests: a worker that crashes). Returns how
    many mails were queued by this call."""
    from sqlalchemy.orm import Session as NewSession

    done, batches = 0, 0
    per_domain: Counter[str] = Counter()
    with NewSession(bind=db.engine, expire_on_commit=False) as session:
        send = session.get(MailSend, campaign_id)
        campaign = session.get(Campaign, campaign_id)
        if send is None or campaign is None or send.state != "queuing":
            return 0
        while limit is None or batches < limit:
            count = queue_batch(session, send, campaign, per_domain, BATCH)
            batches += 1
            if not count:
                send.state = "waiting" if send.phase == "sample" else "done"
                send.finished_at = utcnow()
                session.commit()
                break
            session.commit()
            done += count
            if progress is not None:
                progress(min(99.0, 100.0 * send.queued / max(1, send.total)),
                         _("%(n)d of %(total)d mails queued", n=send.queued, total=send.total))
    return done


def queue_job(job: Any, campaign_id: int) -> None:
    """The job that queues a big send (``marketing.queue_mail``), with its progress."""
    queue_all(int(campaign_id), progress=lambda percent, message: job.progress(percent, message))
    job.finish(_("The mails are queued."))


def counts(session: Session, campaign_id: int) -> dict[str, int]:
    """Members by delivery outcome: ``members``, ``sent``, ``failed``, ``unsubscribed``."""
    row = session.execute(select(
        func.count(), func.count(CampaignMember.sent_at),
        func.count().filter(CampaignMember.status == "failed"),
        func.count(CampaignMember.unsubscribed_at))
        .where(CampaignMember.campaign_id == campaign_id)).one()
    return {"members": row[0], "sent": row[1], "failed": row[2], "unsubscribed": row[3]}
