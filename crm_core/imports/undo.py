"""Taking an import back: what it created is removed, what it overwrote put back.

The records come from ``ImportRecord`` (written by the run, batch by batch); the spec's
``undo`` (default ``table_undo(model)``) does the work within the undoer's data scope, and
one ``import_undo`` entry in the operation log names the counts.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..audit.service import record_event
from ..db import utcnow
from ..errors import DomainError
from .files import import_folder, write_undone
from .models import ImportRecord, TabularImport
from .spec import ImportSpec, UndoResult
from .writers import table_undo

__all__ = ["check_undoable", "import_changes", "undo_import"]


def check_undoable(imp: TabularImport) -> None:
    """DomainError unless ``imp`` ran and was not undone yet."""
    if imp.undone_at is not None:
        raise DomainError(_("This import was undone already."))
    if imp.status not in ("done", "failed", "undoing") or not (imp.created or imp.updated):
        raise DomainError(_("Only an import that wrote records can be undone."))


def import_changes(session: Session, import_id: int
                   ) -> tuple[list[Any], dict[Any, tuple[dict[str, Any], dict[str, Any]]]]:
    """What import ``import_id`` wrote: the ids it created and ``{id: (old, new)}`` of the
    records it changed (old: the values before its first change, new: its last ones)."""
    created: list[Any] = []
    updated: dict[Any, tuple[dict[str, Any], dict[str, Any]]] = {}
    # newest first, so a record changed twice by the same import ends as it was
    for record in session.scalars(select(ImportRecord).where(
            ImportRecord.import_id == import_id).order_by(ImportRecord.id.desc())):
        if record.created:
            created.append(record.record_id)
        else:
            old, new = updated.get(record.record_id, ({}, record.new or {}))
            updated[record.record_id] = ({**old, **(record.old or {})}, new)
    return created, updated


def undo_import(session: Session, spec: ImportSpec, imp: TabularImport, *,
                user_id: int | None) -> UndoResult:
    """Undo ``imp`` as ``user_id`` (None: a trusted caller that may touch every record):
    the spec's ``undo(session, created, updated, user_id, imp=imp)``; what it left
    alone (``UndoResult.left``) is listed on the import's page. Commits."""
    check_undoable(imp)
    import_id = imp.id
    created, updated = import_changes(session, import_id)
    result = (spec.undo or table_undo(spec.model))(session, created, updated, user_id,
                                                   imp=imp)
    write_undone(import_folder(import_id), result.left)
    imp = session.get(TabularImport, import_id)
    imp.undone_at = utcnow()
    imp.status = "undone"
    imp.message = result.message or _(
        "Undone: %(removed)d removed, %(restored)d given their earlier values back, "
        "%(skipped)d left alone.", removed=result.removed, restored=result.restored,
        skipped=result.skipped)
    record_event("import_undo", _l("Undid import %(id)s", id=imp.id), model=TabularImport,
                 record_id=imp.id, session=session,
                 changes={"removed": result.removed, "restored": result.restored,
                          "skipped": result.skipped})
    session.commit()
    return result
