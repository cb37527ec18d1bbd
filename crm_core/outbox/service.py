"""Writing to the outbox, replaying, and reading it for the outbox page and the CLI.

``enqueue`` writes the row in the caller's transaction: a rollback leaves nothing to send,
a commit hands it to a worker (``dispatch``). The delivery itself is ``delivery.py``.
"""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
import uuid
from typing import Any

from flask_babel import gettext
from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ..audit.service import record_event
from ..db import get_session, utcnow
from .channels import OutboxError, get_channel
from .dispatch import deliver_after_commit
from .models import STATUSES, WAITING, OutboxMessage

KEY_LENGTH = 200
MAX_PAYLOAD_BYTES = 1024 * 1024
PAGE_SIZE = 50


class OutboxNotFound(OutboxError):
    """No outbox message has that id."""

    status = 404


def _checked_key(key: Any) -> str:
    if not isinstance(key, str) or not key.strip():
        raise OutboxError(gettext("An idempotency key must be a non-empty text."))
    if len(key) > KEY_LENGTH:
        raise OutboxError(gettext("An idempotency key has at most %(n)d characters.",
                                  n=KEY_LENGTH))
    if any(unicodedata.category(char) in ("Cc", "Cs") for char in key):
        raise OutboxError(gettext("An idempotency key may not hold control characters."))
    return key


def _checked_payload(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise OutboxError(gettext("An outbox payload must be a JSON object (a dict)."))
    try:
        text = json.dumps(payload, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise OutboxError(gettext("An outbox payload must be plain JSON: %(error)s",
                                  error=str(exc))) from None
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise OutboxError(gettext("An outbox payload may not hold lone surrogates.")) from None
    if size > MAX_PAYLOAD_BYTES:
        raise OutboxError(gettext("An outbox payload may be at most 1 MiB."))
    return json.loads(text)  # a copy: later changes to the caller's dict do not leak in


def _insert(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(OutboxMessage.__table__)


def enqueue(channel: str, payload: dict[str, Any], idempotency_key: str | None = None, *,
            delay: float = 0, session: Session | None = None) -> OutboxMessage:
    """Write a message for ``channel`` into the current transaction; return its row.

    It is delivered after the transaction commits (never if it rolls back), at least once,
    with retries and backoff. A second message with the same channel and
    ``idempotency_key`` is not added: the first row is returned. Without a key a random one
    is made. ``delay`` holds the first try back that many seconds. ``session`` defaults to
    ``get_session()``; the caller commits. Raises ``OutboxError`` for an unknown channel, a
    payload the channel refuses or that is not plain JSON, or a bad key.
    """
    spec = get_channel(channel)
    data = _checked_payload(payload)
    if spec.validate is not None:
        try:
            spec.validate(data)
        except ValueError as exc:
            raise OutboxError(str(exc)) from None
    key = uuid.uuid4().hex if idempotency_key is None else _checked_key(idempotency_key)
    session = session if session is not None else get_session()
    now = utcnow()
    table = OutboxMessage.__table__
    new_id = session.execute(
        _insert(session).values(
            channel=channel, idempotency_key=key, payload=data, status="pending", attempts=0,
            next_attempt_at=now + dt.timedelta(seconds=max(0.0, float(delay))),
            created_at=now, updated_at=now)
        .on_conflict_do_nothing(index_elements=["channel", "idempotency_key"])
        .returning(table.c.id)).scalar_one_or_none()
    if new_id is not None:
        deliver_after_commit(session, new_id)
    row = session.scalar(select(OutboxMessage).where(OutboxMessage.channel == channel,
                                                     OutboxMessage.idempotency_key == key))
    assert row is not None  # inserted above, or there already
    return row


def get_message(session: Session, message_id: int) -> OutboxMessage:
    """The message with this id; ``OutboxNotFound`` when there is none."""
    row = session.get(OutboxMessage, message_id)
    if row is None:
        raise OutboxNotFound(gettext("That outbox message does not exist (any more)."))
    return row


def replayable(row: OutboxMessage) -> bool:
    """Whether an administrator may replay the message: it is not sent nor being sent."""
    return row.status in WAITING


def replay(session: Session, message_id: int) -> OutboxMessage:
    """Try a pending, failed or dead message again now, with a fresh count of tries.

    Recorded in the operation log; delivered after the caller commits.
    """
    row = get_message(session, message_id)
    if not replayable(row):
        raise OutboxError(gettext("Message %(id)d is %(status)s; only pending, failed or "
                                  "dead messages can be replayed.", id=row.id,
                                  status=status_label(row.status)))
    before = {"status": row.status, "attempts": row.attempts}
    row.status, row.attempts, row.next_attempt_at = "pending", 0, utcnow()
    row.claim_token = row.claimed_until = None
    session.flush()
    record_event("outbox_replay", f"{row.channel} {row.idempotency_key}", model=OutboxMessage,
                 record_id=row.id, changes={"status": [before["status"], "pending"],
                                            "attempts": [before["attempts"], 0]},
                 session=session)
    deliver_after_commit(session, row.id)
    return row


def status_label(status: str) -> str:
    """A status as the user reads it."""
    labels = {"pending": gettext("pending"), "sending": gettext("sending"),
              "failed": gettext("failed"), "dead": gettext("dead"), "sent": gettext("sent")}
    return labels.get(status, status)


def counts(session: Session) -> dict[str, int]:
    """How many messages are in each status (every status present, 0 when none)."""
    found = dict(session.execute(select(OutboxMessage.status, func.count())
                                 .group_by(OutboxMessage.status)).all())
    return {status: int(found.get(status, 0)) for status in STATUSES}


def waiting_by_channel(session: Session) -> dict[str, int]:
    """Undelivered (pending, failed or sending) messages per channel."""
    return dict(session.execute(
        select(OutboxMessage.channel, func.count())
        .where(OutboxMessage.status.in_(("pending", "failed", "sending")))
        .group_by(OutboxMessage.channel)).all())


def list_messages(session: Session, statuses: tuple[str, ...] = WAITING,
                  before_id: int | None = None, limit: int = PAGE_SIZE
                  ) -> tuple[list[OutboxMessage], int | None]:
    """Messages in ``statuses``, newest first, a keyset page of ``limit`` below
    ``before_id``; returns the rows and the id to pass for the next page (or None)."""
    query = select(OutboxMessage).where(OutboxMessage.status.in_(statuses))
    if before_id is not None:
        query = query.where(OutboxMessage.id < before_id)
    rows = list(session.scalars(query.order_by(OutboxMessage.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)


def purge_sent(session: Session, older_than: dt.datetime, batch: int = 1000) -> int:
    """Delete up to ``batch`` sent messages sent before ``older_than``; return how many.

    Their idempotency keys are forgotten with them: the same key may be enqueued again.
    """
    ids = list(session.scalars(select(OutboxMessage.id).where(
        OutboxMessage.status == "sent", OutboxMessage.sent_at < older_than)
        .order_by(OutboxMessage.id).limit(batch)))
    if ids:
        session.execute(delete(OutboxMessage.__table__).where(
            OutboxMessage.__table__.c.id.in_(ids)))
    return len(ids)
