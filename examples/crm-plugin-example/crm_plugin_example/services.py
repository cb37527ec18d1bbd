"""Business rules of the example plugin beyond its Resource: the CLI's and the demo's writes,
search, the chart.

Every read that a user asks for goes through ``scoped(...)``: a user sees their own notes,
their department's or all of them, as their roles grant for the kind ``example.note``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_core.toolkit import DomainError, scoped

from .models import Note

__all__ = ["add_demo_notes", "add_note", "count_notes", "find_notes", "notes_per_day"]


def add_note(session: Session, title: str, body: str = "", *, owner_id: int | None = None,
             department_id: int | None = None) -> Note:
    """Add a note owned by ``owner_id`` in ``department_id`` (both None from the CLI)."""
    title = (title or "").strip()
    if not title:
        raise DomainError(_("A note needs a title."))
    if len(title) > 200:
        raise DomainError(_("A note title has at most %(max)d characters.", max=200))
    note = Note(title=title, body=body or "", owner_id=owner_id, department_id=department_id)
    session.add(note)
    session.flush()
    return note


def _visible(query: Any, user: Any) -> Any:
    return scoped(query, Note, user).where(Note.deleted_at.is_(None))


def find_notes(session: Session, query: str, limit: int = 20, *, user: Any) -> list[Note]:
    """Notes ``user`` may see whose title contains ``query`` (any case), newest first."""
    return list(session.scalars(
        _visible(select(Note), user).where(Note.title.icontains(query, autoescape=True))
        .order_by(Note.id.desc()).limit(limit)))


def add_demo_notes(session: Session, count: int) -> None:
    """Add ``count`` demo notes."""
    from flask_babel import gettext  # the seed's language (``crm seed --language``)

    topics = [gettext("Call back"), gettext("Send quote to"), gettext("Visit"), "回访",
              "寄送报价给"]
    companies = ["ACME Ltd.", "Globex", "上海华信贸易有限公司", "北京远景科技"]
    for number in range(count):
        add_note(session, f"{topics[number % len(topics)]} {companies[number % len(companies)]}")


def count_notes(session: Session) -> int:
    """How many notes there are in all (an operator's figure: the CLI prints it)."""
    return session.scalar(select(func.count(Note.id)).where(Note.deleted_at.is_(None))) or 0


def notes_per_day(session: Session, days: int = 7, *, user: Any) -> dict[str, list[Any]]:
    """Notes ``user`` may see written on each of the last ``days`` days:
    ``{"labels": [...], "values": [...]}``."""
    since = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=days - 1)
    stamps = session.scalars(_visible(select(Note.created_at), user).where(
        Note.created_at >= dt.datetime.combine(since, dt.time.min))).all()
    counts = Counter(stamp.date() for stamp in stamps)
    labels = [since + dt.timedelta(days=offset) for offset in range(days)]
    return {"labels": [day.isoformat() for day in labels],
            "values": [counts.get(day, 0) for day in labels]}
