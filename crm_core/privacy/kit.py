"""What a plugin uses to answer personal-data requests: ``toolkit.privacy``.

A plugin implements ``crm_privacy_locate``, ``crm_privacy_export`` and ``crm_privacy_erase``
(docs/plugins.md) in its ``privacy.py``. Its erase hook writes through ``write`` and
``scrub_column``, not the ORM: the operation log's automatic recording would otherwise copy
every erased value into new entries (``old: "zhang@example.com"``), the very data being
erased. The kernel writes one entry for the whole erasure instead, in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Executable, func, or_, select, update
from sqlalchemy.orm import Session

from .identity import ERASED, ERASED_DOMAIN, Person, normalise_email, normalise_phone
from .suppression import any_suppressed, is_suppressed, suppressed_emails

__all__ = ["ERASED", "Erasure", "Person", "any_suppressed", "is_suppressed", "mentions",
           "normalise_email", "normalise_phone", "rows", "scrub_column", "suppressed_emails",
           "write"]


@dataclass
class Erasure:
    """The erasure under way, handed to ``crm_privacy_erase``: its register ``id`` (for
    placeholders) and ``notes`` a plugin adds for the operator ("the ERP keeps a copy")."""

    id: int
    notes: list[str] = field(default_factory=list)

    def placeholder_email(self, key: Any) -> str:
        """An address for a column that must stay unique or non-empty: it names the erasure
        and ``key`` (a row id) and can never be delivered (``.invalid``)."""
        return f"erased-{self.id}-{key}@{ERASED_DOMAIN}"

    def note(self, text: str) -> None:
        """Tell the operator something the erasure could not do here (plain text)."""
        self.notes.append(str(text))


def write(session: Session, statement: Executable) -> int:
    """Run an ``update()``/``delete()`` of an erasure in the session's transaction, outside
    the operation log's automatic recording; returns how many rows it changed."""
    result = session.connection().execute(statement)
    return max(int(getattr(result, "rowcount", 0) or 0), 0)


def mentions(column: Any, person: Person) -> Any:
    """A condition: ``column`` (text) holds one of the person's e-mails (any case) or a
    form of their numbers (None when there is nothing to look for). A LIKE over the
    column: fine for a rare request, not for a page."""
    terms = [func.lower(column).contains(email, autoescape=True) for email in person.emails]
    terms += [column.contains(form, autoescape=True) for form in person.phones]
    return or_(*terms) if terms else None


def rows(session: Session, columns: list[Any], where: Any) -> list[dict[str, Any]]:
    """The rows (as dicts keyed by column name) matching ``where``; [] when ``where`` is
    None (nothing to look for)."""
    if where is None:
        return []
    return [dict(row) for row in session.execute(select(*columns).where(where)).mappings()]


def scrub_column(session: Session, column: Any, person: Person, where: Any = None) -> int:
    """Replace the person's e-mail and phone inside the text ``column`` with ``ERASED``,
    in every row that mentions them (and matches ``where``); returns the rows changed."""
    table = column.table
    condition = mentions(column, person)
    if condition is None:
        return 0
    if where is not None:
        condition = condition & where
    key = list(table.primary_key.columns)[0]
    changed = 0
    for row in session.execute(select(key, column).where(condition)).all():
        scrubbed = person.scrub(row[1])
        if scrubbed != row[1]:
            changed += write(session, update(table).where(key == row[0])
                             .values({column.key: scrubbed}))
    return changed
