"""The database :class:`~plugins.oa_bridge.protocol.freshness.SeenIds`: one row per event id
and connection, written with an INSERT that ignores a conflict on the unique pair (never a
read followed by a write), in the caller's transaction. Rolled back with it, a failed
delivery leaves no trace, so the vendor's retry is processed; committed, every retry is a
duplicate. Rows older than the TTL are pruned by the same call.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from crm_core.toolkit import utcnow

from ..models import OaSeenEvent


class DbSeenIds:
    """Seen event ids in ``oa_bridge_seen_event``; the scope is the connection's id."""

    def __init__(self, session: Session) -> None:
        """Write into ``session`` (the callback's transaction)."""
        self.session = session

    def add_if_new(self, scope: str, event_id: str, *, ttl_seconds: float) -> bool:
        """Remember ``event_id`` for connection ``scope``; False when it was there already."""
        now = utcnow()
        connection_id = int(scope)
        self.session.execute(delete(OaSeenEvent).where(
            OaSeenEvent.connection_id == connection_id,
            OaSeenEvent.seen_at < now - dt.timedelta(seconds=ttl_seconds)))
        dialect = self.session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        inserted = self.session.execute(
            insert(OaSeenEvent.__table__).values(connection_id=connection_id,
                                                 event_id=event_id[:200], seen_at=now)
            .on_conflict_do_nothing(index_elements=["connection_id", "event_id"])
            .returning(OaSeenEvent.__table__.c.id)).scalar()
        return inserted is not None
