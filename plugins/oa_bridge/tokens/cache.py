"""The access-token cache shared by every process: one row per connection in
``oa_bridge_token`` (the token sealed like the other secrets), refreshed before it expires.

A token is used until ``REFRESH_MARGIN`` before its end; then the next caller fetches a new
one and stores it for everyone. Two processes refreshing at once both get a valid token (the
vendors hand out the same token while it is valid), so no lock is taken.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import delete
from sqlalchemy.orm import Session

from crm_core.toolkit import seal, stored_time, unseal, utcnow

from ..models import OaConnection, OaToken

#: Refresh this long before the vendor's expiry (tokens last 2 hours).
REFRESH_MARGIN = dt.timedelta(minutes=5)


def cached_token(session: Session, connection: OaConnection,
                 fetch: Callable[[], tuple[str, int]]) -> str:
    """The connection's token: the stored one while fresh, else ``fetch()`` →
    ``(token, lifetime in seconds)`` stored and returned. Commits the new row."""
    row = session.get(OaToken, connection.id)
    now = utcnow()
    if row is not None and stored_time(row.expires_at) - REFRESH_MARGIN > now:
        return unseal(row.token)
    token, lifetime = fetch()
    if row is None:
        row = OaToken(connection_id=connection.id)
        session.add(row)
    row.token = seal(token)
    row.expires_at = now + dt.timedelta(seconds=max(int(lifetime), 60))
    row.refreshed_at = now
    session.commit()
    return token


def forget_token(session: Session, connection: OaConnection) -> None:
    """Drop the stored token (the vendor refused it); the next call fetches a new one."""
    session.execute(delete(OaToken).where(OaToken.connection_id == connection.id))
    session.commit()
