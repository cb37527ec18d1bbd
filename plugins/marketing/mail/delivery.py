"""The ``marketing_mail`` outbox channel: one campaign mail leaving, consent re-checked.

When the outbox delivers a campaign mail the recipient's consent is read again: an address
that unsubscribed (or withdrew consent) since the send was queued gets nothing, so
unsubscribes are honoured within the same send. Otherwise the mail goes through the kernel's
SMTP delivery (``outbox.deliver_mail``). The members the relay accepted are stamped ``sent``
in the outbox's own transaction, once per batch of a drain (``on_sent``), not with a commit
per mail; the outbox notes each accepted mail on its row at once, so a worker that dies
mid-batch sends nobody twice. A failed try marks the member ``failed`` (a later successful
retry makes it ``sent``).
A part of the marketing plugin: ``outbox_channels()``.
"""

from __future__ import annotations

import logging
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Connection, and_, select, update
from sqlalchemy.orm import Session

from crm_core.toolkit import OutboxChannel, OutboxDelivery, db, outbox

from ..audience import PURPOSE
from ..members import advance
from ..models import CampaignMember, ConsentState
from .sending import CHANNEL

log = logging.getLogger(__name__)
MAIL_KEYS = ("to", "subject", "text", "html", "headers")


def _session() -> Session:
    # a bare session per step: the channel runs outside any request, once per mail
    return Session(bind=db.engine, expire_on_commit=False, autoflush=False)


def validate(payload: dict[str, Any]) -> None:
    """Refuse a payload that is not a campaign mail (the message names the field)."""
    for key in ("campaign_id", "member_id"):
        value = payload.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"marketing_mail: {key!r} must be a positive id")
    unknown = set(payload) - {"campaign_id", "member_id", *MAIL_KEYS}
    if unknown:
        raise ValueError(f"marketing_mail: unknown field {sorted(unknown)[0]!r}")
    outbox.validate_mail({key: payload[key] for key in MAIL_KEYS if key in payload})


def may_send(session: Session | Connection, member_id: int) -> bool:
    """Whether the member still may get the mail: not unsubscribed, consent granted."""
    row = session.execute(
        select(CampaignMember.unsubscribed_at, ConsentState.granted)
        .select_from(CampaignMember)
        .outerjoin(ConsentState, and_(ConsentState.email == CampaignMember.email,
                                      ConsentState.purpose == PURPOSE))
        .where(CampaignMember.id == member_id)).first()
    return row is not None and row[0] is None and row[1] is True


def deliver(payload: dict[str, Any], message: OutboxDelivery) -> bool:
    """Send one campaign mail unless its recipient may no longer get it (then ``False``:
    nothing left, nothing to stamp)."""
    member_id = int(payload["member_id"])
    with db.engine.connect() as connection:  # Core: one read, no unit of work
        allowed = may_send(connection, member_id)
    if not allowed:
        log.info("marketing mail %s: member %s unsubscribed or without consent; not sent",
                 message.id, member_id)
        return False
    try:
        outbox.deliver_mail({key: payload[key] for key in MAIL_KEYS if key in payload}, message)
    except Exception:
        _mark_failed(member_id)
        raise
    return True


def _mark_failed(member_id: int) -> None:
    with _session() as session:
        session.execute(update(CampaignMember)
                        .where(CampaignMember.id == member_id, CampaignMember.status == "planned")
                        .values(status="failed").execution_options(synchronize_session=False))
        session.commit()


def on_sent(session: Session, delivered: list[tuple[dict[str, Any], OutboxDelivery]]) -> None:
    """Stamp ``sent`` on the members whose mail left, in the outbox's transaction."""
    advance(session, sorted({int(payload["member_id"]) for payload, _message in delivered}),
            "sent")


def summary(payload: dict[str, Any]) -> str:
    """The outbox page's line: campaign, member and subject."""
    return (f"campaign {payload.get('campaign_id')} · {payload.get('subject', '')}")[:200]


def outbox_channels() -> list[OutboxChannel]:
    """Campaign mail, delivered only while its recipient's consent holds."""
    return [OutboxChannel(CHANNEL, deliver, validate=validate, ready=outbox.mail_problem,
                          summary=summary, label=_l("Campaign e-mail"), on_sent=on_sent)]
