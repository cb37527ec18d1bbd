"""Business rules of the example plugin: the only module that writes notes."""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_core.toolkit import DomainError

from .models import Note

__all__ = ["add_demo_notes", "add_note", "count_notes", "export_notes", "find_notes",
           "notes_per_day"]


def add_note(session: Session, title: str, body: str = "") -> Note:
    """Add a note; the title is required and at most 200 characters."""
    title = (title or "").strip()
    if not title:
        raise DomainError("A note needs a title.")
    if len(title) > 200:
        raise DomainError("A note title has at most 200 characters.")
    note = Note(title=title, body=body or "")
    session.add(note)
    session.flush()
    return note


def find_notes(session: Session, query: str, limit: int = 20) -> list[Note]:
    """Notes whose title contains ``query`` (any case), newest first."""
    return list(session.scalars(select(Note).where(Note.title.icontains(query, autoescape=True))
                                .order_by(Note.id.desc()).limit(limit)))


def add_demo_notes(session: Session, count: int) -> None:
    """Add ``count`` demo notes."""
    topics = ["Call back", "Send quote to", "Visit", "回访", "寄送报价给"]
    companies = ["ACME Ltd.", "Globex", "上海华信贸易有限公司", "北京远景科技"]
    for number in range(count):
        add_note(session, f"{topics[number % len(topics)]} {companies[number % len(companies)]}")


def count_notes(session: Session) -> int:
    """How many notes there are."""
    return session.scalar(select(func.count(Note.id))) or 0


def export_notes(session: Session, path: Path, progress: Any, batch: int = 100) -> int:
    """Write every note to a CSV file at ``path`` in batches, calling ``progress(pct)``.

    Returns the number of notes written. Reads by keyset so memory stays flat.
    """
    total = count_notes(session)
    written, last_id = 0, 0
    with path.open("w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "title", "body", "created_at"])
        while True:
            rows = session.scalars(
                select(Note).where(Note.id > last_id).order_by(Note.id).limit(batch)).all()
            if not rows:
                break
            for note in rows:
                writer.writerow([note.id, note.title, note.body, note.created_at.isoformat()])
            written += len(rows)
            last_id = rows[-1].id
            progress(100 * written / total if total else 100)
    return written


def notes_per_day(session: Session, days: int = 7) -> dict[str, list[Any]]:
    """Notes written on each of the last ``days`` days: ``{"labels": [...], "values": [...]}``."""
    since = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=days - 1)
    stamps = session.scalars(select(Note.created_at).where(
        Note.created_at >= dt.datetime.combine(since, dt.time.min))).all()
    counts = Counter(stamp.date() for stamp in stamps)
    labels = [since + dt.timedelta(days=offset) for offset in range(days)]
    return {"labels": [day.isoformat() for day in labels],
            "values": [counts.get(day, 0) for day in labels]}
