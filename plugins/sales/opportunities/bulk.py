"""Changing many opportunities at once from the list: reassign the owner, move to a stage,
mark lost with a reason. The records are those the user ticked *and* may see; each change
goes through ``services`` (history, totals and events as for one)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import scoped

from ..models import Opportunity, Stage
from . import services
from .services import FieldError

SELECTION_MAX = 500


def visible(session: Session, ids: Sequence[int], user: Any) -> list[Opportunity]:
    """The ticked opportunities ``user`` may see (not deleted), at most ``SELECTION_MAX``."""
    wanted = sorted(set(ids))[:SELECTION_MAX]
    if not wanted:
        return []
    found = scoped(select(Opportunity).where(Opportunity.id.in_(wanted),
                                             Opportunity.deleted_at.is_(None)),
                   Opportunity, user)
    return list(session.scalars(found.order_by(Opportunity.id)))


def reassign(session: Session, records: Sequence[Opportunity], owner_id: int | None,
             user: Any) -> int:
    """Give the records to ``owner_id`` (their department follows); how many changed."""
    if owner_id is None:
        raise FieldError("owner_id", _("Choose the new owner."))
    changed = 0
    for record in records:
        if record.owner_id != owner_id:
            services.update_opportunity(session, record, {"owner_id": owner_id}, user)
            changed += 1
    return changed


def move(session: Session, records: Sequence[Opportunity], stage_id: int | None,
         user: Any) -> int:
    """Move the records to the stage ``stage_id`` (records of another pipeline go to its
    stage of the same name when it has one, else are refused)."""
    stage = session.get(Stage, stage_id) if stage_id else None
    if stage is None:
        raise FieldError("stage_id", _("Choose a stage."))
    changed = 0
    for record in records:
        target: Any = stage.id if record.pipeline_id == stage.pipeline_id else stage.name
        if record.stage_id == stage.id:
            continue
        try:
            services.change_stage(session, record, target, user)
        except FieldError as error:
            raise FieldError(error.field, f"{record.name}: {error}") from None
        changed += 1
    return changed


def mark_lost(session: Session, records: Sequence[Opportunity], reason: str,
              user: Any) -> int:
    """Move the records to their pipeline's first lost stage with ``reason``."""
    reason = (reason or "").strip()
    if not reason:
        raise FieldError("lost_reason", _("Say why they were lost."))
    changed = 0
    for record in records:
        lost = session.scalar(select(Stage).where(Stage.pipeline_id == record.pipeline_id,
                                                  Stage.kind == "lost")
                              .order_by(Stage.position, Stage.id).limit(1))
        if lost is None:
            raise FieldError("stage_id", _("The pipeline of %(name)s has no lost stage.",
                                           name=record.name))
        if record.stage_id == lost.id:
            continue
        services.change_stage(session, record, lost.id, user, {"lost_reason": reason})
        changed += 1
    return changed
