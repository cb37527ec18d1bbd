"""Business rules of the example plugin: the only module that writes notes.

Every read that a user asks for goes through ``scoped(...)``: a user sees their own notes,
their department's or all of them, as their roles grant for the kind ``example.note``.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_core.toolkit import DomainError, scoped

from .models import Note

__all__ = ["add_demo_notes", "add_note", "count_notes", "export_notes", "find_notes",
           "list_notes", "notes_per_day"]


def add_note(session: Session, title: str, body: str = "", *, owner_id: int | None = None,
             department_id: int | None = None) -> Note:
    """Add a note owned by ``owner_id`` in ``department_id`` (both None from the CLI).

    The title is required and at most 200 characters.
    """
    title = (title or "").strip()
    if not title:
        raise DomainError(_("A note needs a title."))
    if len(title) > 200:
        raise DomainError(_("A note title has at most %(max)d characters.", max=200))
    note = Note(title=title, body=body or "", owner_id=owner_id, department_id=department_id)
    session.add(note)
    session.flush()
    return note


def list_notes(session: Session, *, user: Any, before: int | None = None,
               limit: int = 50) -> tuple[list[Note], int | None]:
    """The newest notes ``user`` may see, ``limit`` at a time below the id ``before``.

    Returns the page and the cursor of the next (older) page, None on the last one.
    """
    query = scoped(select(Note), Note, user).order_by(Note.id.desc())
    if before is not None:
        query = query.where(Note.id < before)
    rows = list(session.scalars(query.limit(limit + 1)))
    if len(rows) > limit:
        return rows[:limit], rows[limit - 1].id
    return rows, None


def find_notes(session: Session, query: str, limit: int = 20, *, user: Any) -> list[Note]:
    """Notes ``user`` may see whose title contains ``query`` (any case), newest first."""
    return list(session.scalars(
        scoped(select(Note), Note, user)
        .where(Note.title.icontains(query, autoescape=True))
        .order_by(Note.id.desc()).limit(limit)))


def add_demo_notes(session: Session, count: int) -> None:
    """Add ``count`` demo notes."""
    topics = ["Call back", "Send quote to", "Visit", "回访", "寄送报价给"]
    companies = ["ACME Ltd.", "Globex", "上海华信贸易有限公司", "北京远景科技"]
    for number in range(count):
        add_note(session, f"{topics[number % len(topics)]} {companies[number % len(companies)]}")


def count_notes(session: Session) -> int:
    """How many notes there are in all (an operator's figure: the CLI prints it)."""
    return session.scalar(select(func.count(Note.id))) or 0


def export_notes(session: Session, path: Path, progress: Any, batch: int = 100,
                 user: Any = None) -> int:
    """Write the notes ``user`` may see to a CSV file at ``path`` in batches, calling
    ``progress(pct)``; ``user`` None (a job the system started) writes every note.

    ``user`` is a user or a user id. Returns the number of notes written. Reads by keyset
    so memory stays flat.
    """
    def visible(query: Any) -> Any:
        return query if user is None else scoped(query, Note, user)

    total = session.scalar(visible(select(func.count(Note.id)))) or 0
    written, last_id = 0, 0
    with path.open("w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "title", "body", "created_at"])
        while True:
            rows = session.scalars(
                visible(select(Note)).where(Note.id > last_id).order_by(Note.id).limit(batch)
            ).all()
            if not rows:
                break
            for note in rows:
                writer.writerow([note.id, note.title, note.body, note.created_at.isoformat()])
            written += len(rows)
            last_id = rows[-1].id
            progress(100 * written / total if total else 100)
    return written


def notes_per_day(session: Session, days: int = 7, *, user: Any) -> dict[str, list[Any]]:
    """Notes ``user`` may see written on each of the last ``days`` days:
    ``{"labels": [...], "values": [...]}``."""
    since = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=days - 1)
    stamps = session.scalars(scoped(select(Note.created_at), Note, user).where(
        Note.created_at >= dt.datetime.combine(since, dt.time.min))).all()
    counts = Counter(stamp.date() for stamp in stamps)
    labels = [since + dt.timedelta(days=offset) for offset in range(days)]
    return {"labels": [day.isoformat() for day in labels],
            "values": [counts.get(day, 0) for day in labels]}
