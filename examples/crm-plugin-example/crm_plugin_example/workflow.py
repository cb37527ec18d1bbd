"""The kernel's shared services, used by the notes: files, approvals and notifications.

- Files: notes are an attachment kind; the detail page shows the files panel.
- Approvals: notes are an approval subject. "Ask for approval" on the list asks for each
  ticked note; when an administrator has defined a rule for "example.note", people decide in
  the inbox and an approved note is marked done. Without a rule nothing is asked.
- Notifications: "Mark done" tells each note's owner (when someone else closed it), in the
  bell and, if they chose it, by e-mail through the outbox.
"""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from crm_core.toolkit import (
    ApprovalSubject,
    AttachmentKind,
    NotificationKind,
    notify,
    request_approval,
)

from .models import Note

KIND = "example.note"
CLOSED = "example.note_closed"


def attachment_kinds() -> list[AttachmentKind]:
    """Files may be attached to notes by whoever may edit them."""
    return [AttachmentKind(KIND, Note, view_permission="example.note.view",
                           edit_permission="example.note.edit", label=_l("Note"))]


def approval_subjects() -> list[ApprovalSubject]:
    """Notes may need approval; the inbox links to the note's page."""
    return [ApprovalSubject(KIND, _l("Note"), Note,
                            lambda note_id: url_for("example_notes.detail", note_id=note_id))]


def notification_kinds() -> list[NotificationKind]:
    """The one notice the notes send: "your note was marked done"."""
    return [NotificationKind(CLOSED, _l("A note of mine was marked done"),
                             default_channels=("in_app",))]


def close_notes(session: Session, notes: list[Note], user: Any) -> int:
    """The "Mark done" bulk action: close the notes and tell their owners."""
    for note in notes:
        note.status = "done"
        if note.owner_id and note.owner_id != user.id:
            notify([note.owner_id], CLOSED, _("%(user)s marked your note done: %(title)s",
                                              user=user.username, title=note.title),
                   link=url_for("example_notes.detail", note_id=note.id), session=session)
    return len(notes)


def ask_approval(session: Session, notes: list[Note], user: Any) -> int:
    """The "Ask for approval" bulk action: how many notes now wait for a decision."""
    waiting = 0
    for note in notes:
        result = request_approval(KIND, note.id, _("Note: %(title)s", title=note.title),
                                  note.body[:500], amount=note.priority, requester=user,
                                  session=session)
        waiting += result.needed
    return waiting


def approval_decided(session: Session, subject_id: int, status: str) -> None:
    """An approved note is done; any other outcome leaves it as it is."""
    note = session.get(Note, subject_id)
    if note is not None and status == "approved":
        note.status = "done"
