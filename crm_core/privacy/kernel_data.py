"""The kernel's own part of a personal-data request: outbox messages addressed to the person,
the values imports kept for their undo, and notifications naming the person's e-mail or phone.

Staff accounts (``core_user``) are employees, not the customers PIPL requests here are about;
they are left alone. Older operation log entries keep their text (docs/OPERATIONS.md).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, cast, update
from sqlalchemy.orm import Session

from ..imports.models import ImportRecord
from ..notifications.models import Notification
from ..outbox.models import DUE, OutboxMessage
from .identity import Person
from .kit import Erasure, mentions, rows, scrub_column, write


def _scrubbed(value: Any, person: Person, names: bool = False) -> Any:
    """``value`` (a payload) without the person's e-mail and phone, and with ``names`` (a
    message addressed to them) without their names either."""
    if isinstance(value, str):
        value = person.scrub(value)
        return person.scrub_names(value) if names else value
    if isinstance(value, list):
        return [_scrubbed(item, person, names) for item in value]
    if isinstance(value, dict):
        return {key: _scrubbed(item, person, names) for key, item in value.items()}
    return value


def _messages(session: Session, person: Person) -> list[dict[str, Any]]:
    table = OutboxMessage.__table__
    found = rows(session, [table.c.id, table.c.channel, table.c.status, table.c.payload,
                           table.c.created_at, table.c.sent_at],
                 mentions(cast(table.c.payload, String), person))
    # the LIKE ran on JSON text; keep the rows whose values really name the person
    return [row for row in found if _scrubbed(row["payload"], person) != row["payload"]]


def export(person: Person, session: Session) -> dict[str, list[dict[str, Any]]]:
    """Outbox messages (e-mails) to or about the person: channel, state, subject, times."""
    return {"outbox_messages": [
        {"id": row["id"], "channel": row["channel"], "status": row["status"],
         "subject": (row["payload"] or {}).get("subject", "")
         if isinstance(row["payload"], dict) else "",
         "created_at": row["created_at"], "sent_at": row["sent_at"]}
        for row in _messages(session, person)]}


def erase(person: Person, erasure: Erasure, session: Session) -> dict[str, int]:
    """Scrub the person from outbox payloads; messages not sent yet will never be."""
    table = OutboxMessage.__table__
    changed = 0
    for row in _messages(session, person):
        values: dict[str, Any] = {"payload": _scrubbed(row["payload"], person, True)}
        if row["status"] in (*DUE, "dead"):
            values.update(status="dead", last_error=f"Erased (personal data request "
                                                    f"{erasure.id}): not to be sent.")
        changed += write(session, update(table).where(table.c.id == row["id"]).values(values))
    return {"outbox_messages": changed, "import_undo_values": _scrub_imports(session, person),
            "notifications": scrub_column(session, Notification.__table__.c.title, person)
            + scrub_column(session, Notification.__table__.c.body, person)}


def _scrub_imports(session: Session, person: Person) -> int:
    """The old and new values an import keeps to undo itself: the person's e-mail and phone
    go (undoing that import then writes ``[erased]`` back, never the value)."""
    table = ImportRecord.__table__
    condition = mentions(cast(table.c.old, String), person)
    more = mentions(cast(table.c.new, String), person)
    if condition is None:
        return 0
    changed = 0
    for row in rows(session, [table.c.id, table.c.old, table.c.new], condition | more):
        values = {"old": _scrubbed(row["old"], person), "new": _scrubbed(row["new"], person)}
        if values != {"old": row["old"], "new": row["new"]}:
            changed += write(session, update(table).where(table.c.id == row["id"])
                             .values(values))
    return changed
