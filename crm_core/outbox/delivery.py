"""Delivering outbox messages: claim due rows, call their channel, book the outcome.

A claim is one short transaction that marks rows ``sending`` with this run's token and a
lease (``CRM_OUTBOX_LEASE_SECONDS``). On PostgreSQL the candidates are read ``FOR UPDATE
SKIP LOCKED``, so two workers never wait for or take the same row; on SQLite the claiming
``UPDATE`` repeats the "still claimable" condition, so of two workers only one gets a row.
The channel is called outside any transaction; the outcome is written only if the row still
carries this run's token. A worker that dies mid-delivery lets its rows go when the lease
ends, and they are tried again: delivery is at least once, and the idempotency key lets the
receiver drop a repeat.

A channel with ``on_sent`` (``OutboxChannel``) is booked per batch instead of per message:
each message it accepted is noted on its row at once (``sent_at``, a one-row commit, so a
worker that dies mid-batch never sends it again: the next claim of the row books it without
calling the channel), and the batch's outcomes and the channel's own stamps are written in
one transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import and_, func, or_, select, text, update
from sqlalchemy.orm import Session

from ..audit.context import acting_as
from ..audit.service import record_event
from ..db import utcnow
from .channels import OutboxDelivery, channels, not_ready
from .models import DUE, OutboxMessage, as_utc
from .settings import OutboxSettings, outbox_settings
from .smtp import reuse_connection

log = logging.getLogger(__name__)

BATCH = 50
#: A drain stops after this many messages; the next one (a minute later) goes on.
DRAIN_LIMIT = 10_000
ERROR_LENGTH = 2000


@dataclass
class DrainReport:
    """What a drain did: messages delivered, failed (to be retried) and dead."""

    delivered: int = 0
    failed: int = 0
    dead: int = 0

    def as_dict(self) -> dict[str, int]:
        """The counts by name."""
        return {"delivered": self.delivered, "failed": self.failed, "dead": self.dead}


@dataclass(frozen=True)
class _Claimed:
    id: int
    channel: str
    idempotency_key: str
    payload: dict[str, Any]
    attempts: int
    created_at: dt.datetime
    sent_at: dt.datetime | None
    token: str


def _new_session() -> Session:
    return current_app.extensions["crm_db"].new_session()


def _claimable(now: dt.datetime, ready: list[str]) -> Any:
    return and_(
        OutboxMessage.channel.in_(ready),
        or_(and_(OutboxMessage.status.in_(DUE), OutboxMessage.next_attempt_at <= now),
            and_(OutboxMessage.status == "sending", OutboxMessage.claimed_until < now)))


def claim(now: dt.datetime, settings: OutboxSettings, limit: int = BATCH,
          ids: list[int] | None = None, exclude: set[int] | None = None) -> list[_Claimed]:
    """Claim up to ``limit`` due messages of channels that can deliver now (of ``ids``
    only, when given; never those in ``exclude``), counting the try; commit the claim."""
    blocked = not_ready()
    ready = [name for name in channels() if name not in blocked]
    if not ready:
        return []
    skip = set(exclude or ())
    for _round in range(5):  # another worker took every candidate: look again past them
        claimed, candidates = _claim_once(now, settings, limit, ready, ids, skip)
        if claimed or not candidates:
            return claimed
        skip.update(candidates)
    return []


def _claim_once(now: dt.datetime, settings: OutboxSettings, limit: int, ready: list[str],
                ids: list[int] | None, exclude: set[int]) -> tuple[list[_Claimed], list[int]]:
    token = uuid.uuid4().hex
    condition = _claimable(now, ready)
    with _new_session() as session:
        query = select(OutboxMessage.id).where(condition)
        if ids is not None:
            query = query.where(OutboxMessage.id.in_(ids))
        if exclude:
            query = query.where(OutboxMessage.id.not_in(exclude))
        candidates = list(session.scalars(
            query.order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit)
            .with_for_update(skip_locked=True)))
        if not candidates:
            session.rollback()
            return [], []
        session.execute(
            update(OutboxMessage.__table__)
            .where(OutboxMessage.__table__.c.id.in_(candidates), condition)
            .values(status="sending", claim_token=token,
                    claimed_until=now + dt.timedelta(seconds=settings.lease),
                    attempts=OutboxMessage.__table__.c.attempts + 1, updated_at=now))
        rows = session.execute(
            select(OutboxMessage.id, OutboxMessage.channel, OutboxMessage.idempotency_key,
                   OutboxMessage.payload, OutboxMessage.attempts, OutboxMessage.created_at,
                   OutboxMessage.sent_at)
            .where(OutboxMessage.claim_token == token).order_by(OutboxMessage.id)).all()
        session.commit()
    return [_Claimed(*row, token=token) for row in rows], candidates


def _finish(message: _Claimed, then: Any, **values: Any) -> bool:
    """Write the outcome if the row is still ours (our claim's token, not another's after
    the lease ended); ``then(session)`` then writes more in the same transaction."""
    table = OutboxMessage.__table__
    with _new_session() as session:
        result = session.execute(
            update(table).where(table.c.id == message.id, table.c.claim_token == message.token)
            .values(claim_token=None, claimed_until=None, **values))
        if result.rowcount and then is not None:
            then(session)
        session.commit()
        return bool(result.rowcount)


def deliver_one(message: _Claimed, settings: OutboxSettings,
                now: dt.datetime | None = None) -> str:
    """Call the channel for one claimed message; return ``sent``, ``failed`` or ``dead``."""
    spec = channels().get(message.channel)
    delivery = OutboxDelivery(message.id, message.channel, message.idempotency_key,
                              message.attempts, as_utc(message.created_at))
    try:
        if spec is None:  # the channel's plugin was disabled after the claim
            raise LookupError(f"no outbox channel {message.channel!r} is enabled")
        spec.deliver(dict(message.payload), delivery)
    except Exception as exc:  # any failure is booked and retried, never lost
        error = f"{type(exc).__name__}: {exc}"[:ERROR_LENGTH]
        log.warning("outbox message %s (%s) failed on try %s: %s", message.id, message.channel,
                    message.attempts, error)
        return _failed(message, settings, error, now or utcnow())
    when = now or utcnow()
    if not _finish(message, None, status="sent", sent_at=when, updated_at=when):
        log.warning("outbox message %s was delivered after its lease ended", message.id)
    return "sent"


def _note_sent(message: _Claimed, when: dt.datetime) -> None:
    """Mark on the row, at once, that the message left (it stays ``sending`` until its
    batch is booked): a claim after a crash sees it and does not deliver it again.

    On PostgreSQL the note's commit does not wait for the disk (``synchronous_commit``
    off, this transaction only): a durable commit costs ~10 ms on a virtual disk, more than
    the mail itself. A worker that dies loses no note; only a crash of the database server
    itself can lose the last fraction of a second of notes (those mails may go again)."""
    table = OutboxMessage.__table__
    with current_app.extensions["crm_db"].engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SET LOCAL synchronous_commit TO OFF"))
        connection.execute(update(table).where(table.c.id == message.id,
                                               table.c.claim_token == message.token)
                           .values(sent_at=when))


def _deliver_noted(message: _Claimed, settings: OutboxSettings, spec: Any,
                   now: dt.datetime | None) -> tuple[str, Any]:
    """Deliver one message of an ``on_sent`` channel: ``("sent", result)`` (noted on its
    row), or the failure booked (``failed``/``dead``, None)."""
    if message.sent_at is not None:  # it left in a run that died before booking it
        log.warning("outbox message %s left before a crash; booked without sending it again",
                    message.id)
        return "sent", None
    delivery = OutboxDelivery(message.id, message.channel, message.idempotency_key,
                              message.attempts, as_utc(message.created_at))
    try:
        result = spec.deliver(dict(message.payload), delivery)
    except Exception as exc:  # any failure is booked and retried, never lost
        error = f"{type(exc).__name__}: {exc}"[:ERROR_LENGTH]
        log.warning("outbox message %s (%s) failed on try %s: %s", message.id, message.channel,
                    message.attempts, error)
        return _failed(message, settings, error, now or utcnow()), None
    if result is not False:
        _note_sent(message, now or utcnow())
    return "sent", result


def _book_sent(spec: Any, done: list[tuple[_Claimed, Any]], now: dt.datetime | None) -> None:
    """One transaction: the batch's delivered messages become ``sent`` (those still ours)
    and the channel stamps its rows (``on_sent``)."""
    if not done:
        return
    table = OutboxMessage.__table__
    when = now or utcnow()
    with _new_session() as session:
        ours = set(session.scalars(
            update(table).where(table.c.id.in_([m.id for m, _r in done]),
                                table.c.claim_token.in_({m.token for m, _r in done}))
            .values(status="sent", claim_token=None, claimed_until=None, updated_at=when,
                    sent_at=func.coalesce(table.c.sent_at, when))
            .returning(table.c.id)))
        if len(ours) < len(done):
            log.warning("outbox messages %s were delivered after their lease ended",
                        sorted({m.id for m, _r in done} - ours))
        delivered = [(dict(m.payload), OutboxDelivery(m.id, m.channel, m.idempotency_key,
                                                      m.attempts, as_utc(m.created_at)))
                     for m, result in done if m.id in ours and result is not False]
        if delivered:
            spec.on_sent(session, delivered)
        session.commit()


def _deliver_batch(batch: list[_Claimed], settings: OutboxSettings, now: dt.datetime | None,
                   report: DrainReport) -> None:
    """Deliver one claimed batch: plain channels message by message, ``on_sent`` channels
    noted per message and booked together."""
    known = channels()
    booked: dict[str, list[tuple[_Claimed, Any]]] = {}
    for message in batch:
        spec = known.get(message.channel)
        if spec is None or spec.on_sent is None:
            outcome = deliver_one(message, settings, now)
        else:
            outcome, result = _deliver_noted(message, settings, spec, now)
            if outcome == "sent":
                booked.setdefault(message.channel, []).append((message, result))
        if outcome == "sent":
            report.delivered += 1
        elif outcome == "dead":
            report.dead += 1
        else:
            report.failed += 1
    for name, done in booked.items():
        _book_sent(known[name], done, now)


def _failed(message: _Claimed, settings: OutboxSettings, error: str, now: dt.datetime) -> str:
    if message.attempts >= settings.max_attempts:
        def log_dead(session: Session) -> None:
            with acting_as(None, "system"):
                record_event("outbox_dead", f"{message.channel} {message.idempotency_key}: "
                             f"{error}"[:500], model=OutboxMessage, record_id=message.id,
                             changes={"attempts": message.attempts}, session=session)
        _finish(message, log_dead, status="dead", last_error=error, updated_at=now)
        return "dead"
    _finish(message, None, status="failed", last_error=error, updated_at=now,
            next_attempt_at=now + dt.timedelta(seconds=settings.delay(message.attempts)))
    return "failed"


def drain(now: dt.datetime | None = None, ids: list[int] | None = None,
          limit: int = DRAIN_LIMIT) -> DrainReport:
    """Deliver every message that is due (of ``ids`` only, when given), batch by batch.

    ``now`` fixes the clock (tests, to step past a backoff); by default each batch reads
    the time. Messages of a channel that is not ready (``OutboxChannel.ready``) are left
    pending and no try is spent on them. Mail of one drain shares one SMTP connection
    (``smtp.reuse_connection``).
    """
    settings = outbox_settings()
    report = DrainReport()
    seen: set[int] = set()
    with reuse_connection():  # one SMTP connection for the drain's mail, not one per mail
        while len(seen) < limit:
            batch = claim(now or utcnow(), settings, min(BATCH, limit - len(seen)), ids, seen)
            if not batch:
                break
            seen.update(message.id for message in batch)
            _deliver_batch(batch, settings, now, report)
    return report
