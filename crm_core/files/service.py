"""Attaching, listing and removing files: the only place that writes attachments.

Functions take a session and plain values and never read the request; the caller has
already checked the record (``kinds.record_or_404``) and commits. Each upload and delete is
written to the operation log as an event about the *record* (``attachment_added`` /
``attachment_deleted`` on ``customers_customer`` 42), so the entry shows in the record's
history and follows the record's data scope.
"""

from __future__ import annotations

from typing import Any, BinaryIO

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ..audit.service import record_event
from ..errors import DomainError
from . import storage
from .kinds import attachment_kinds
from .models import Attachment
from .names import clean_name
from .sniff import FileRefused, sniff

__all__ = ["EmptyFile", "FileRefused", "FileTooLarge", "UnknownKind", "attach",
           "attachments_of", "delete_attachment", "find_attachment", "release_unused"]


class FileTooLarge(DomainError):
    """The file is larger than ``CRM_MAX_UPLOAD_MB``."""

    field = "file"
    status = 422


class EmptyFile(DomainError):
    """The upload holds no bytes."""

    field = "file"


class UnknownKind(DomainError):
    """No enabled plugin registered this attachment kind."""

    status = 404


def _table(kind: str) -> str:
    """The table of ``kind``'s records (log entries are about the record), else the kind."""
    found = attachment_kinds().get(kind)
    return found.model.__table__.name if found else kind  # type: ignore[attr-defined]


def attach(session: Session, *, kind: str, record_id: int, stream: BinaryIO,
           file_name: str | None, user_id: int | None) -> Attachment:
    """Store the bytes of ``stream`` as a file named ``file_name`` on record ``record_id``
    of ``kind``, uploaded by ``user_id``.

    Raises UnknownKind, FileTooLarge past ``CRM_MAX_UPLOAD_MB``, EmptyFile for no bytes,
    FileRefused for a program, script or scripted page (its message says why). Identical
    bytes already stored are not stored again. Checks no permission: the caller has (see
    ``kinds.record_or_404``). The caller commits.
    """
    if kind not in attachment_kinds():
        raise UnknownKind(_l("Files cannot be attached to %(kind)s.", kind=kind))
    name = clean_name(file_name)
    limit = storage.max_upload_bytes()
    try:
        with storage.receive(stream, limit) as received:
            if received.size == 0:
                raise EmptyFile(_l("The file is empty."))
            sniffed = sniff(received.path, name)
            # In place before the row commits: a rollback may leave bytes no row uses,
            # never a row without its bytes.
            storage.keep(received)
    except storage.TooLarge:
        raise FileTooLarge(_l("The file is larger than %(size)s MB, the limit for one "
                              "attachment.", size=f"{storage.max_upload_mb():g}")) from None
    attachment = Attachment(kind=kind, record_id=record_id, sha256=received.sha256,
                            size=received.size, content_type=sniffed.content_type,
                            file_name=name, uploaded_by_id=user_id)
    session.add(attachment)
    session.flush()
    record_event("attachment_added", _l("Attached %(name)s", name=name), model=_table(kind),
                 record_id=record_id, session=session, changes={
                     "attachment_id": attachment.id, "file_name": name,
                     "size": received.size, "content_type": sniffed.content_type})
    return attachment


def attachments_of(kind: str, record_id: int) -> Select[Any]:
    """The statement selecting the files of one record (page it with ``paginate``)."""
    return select(Attachment).where(Attachment.kind == kind, Attachment.record_id == record_id)


def find_attachment(session: Session, attachment_id: int) -> Attachment | None:
    """The attachment row, or None (the caller still checks its record)."""
    return session.get(Attachment, attachment_id)


def delete_attachment(session: Session, attachment: Attachment) -> str:
    """Delete the row and log it; returns its hash, for ``release_unused`` after commit."""
    sha256 = attachment.sha256
    record_event("attachment_deleted", _l("Deleted %(name)s", name=attachment.file_name),
                 model=_table(attachment.kind),
                 record_id=attachment.record_id, session=session, changes={
                     "attachment_id": attachment.id, "file_name": attachment.file_name,
                     "size": attachment.size})
    session.delete(attachment)
    session.flush()
    return sha256


def release_unused(session: Session, sha256: str) -> bool:
    """Remove the stored bytes of ``sha256`` when no attachment uses them any more (call
    after the delete committed); returns whether they were removed."""
    used = session.scalar(select(func.count()).select_from(Attachment)
                          .where(Attachment.sha256 == sha256))
    if used:
        return False
    storage.discard(sha256)
    return True
