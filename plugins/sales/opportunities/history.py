"""An opportunity's stage history as its page shows it: each stay with the time spent,
humanised in the reader's language ("3 days 4 hours", "3天4小时")."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import user_names, utcnow

from ..models import Stage, StageHistory
from .services import aware, is_stale


@dataclass(frozen=True)
class Stay:
    """One stay in a stage; ``left_at`` None while the opportunity is there."""

    stage: str
    entered_at: dt.datetime
    left_at: dt.datetime | None
    seconds: int
    duration: str
    user: str


def humanise(seconds: int) -> str:
    """A duration in the two largest units that matter: "2 days 3 hours", "5 minutes"."""
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes = rest // 60
    parts = []
    if days:
        parts.append(ngettext("%(num)d day", "%(num)d days", days))
    if hours and len(parts) < 2:
        parts.append(ngettext("%(num)d hour", "%(num)d hours", hours))
    if minutes and not days and len(parts) < 2:
        parts.append(ngettext("%(num)d minute", "%(num)d minutes", minutes))
    if not parts:
        return ngettext("%(num)d minute", "%(num)d minutes", 0)
    return " ".join(parts)


def stage_history(session: Session, opportunity_id: int,
                  now: dt.datetime | None = None) -> list[Stay]:
    """The opportunity's stays, latest first (the current one counts up to now)."""
    now = now or utcnow()
    rows = session.execute(
        select(StageHistory, Stage.name).join(Stage, Stage.id == StageHistory.stage_id)
        .where(StageHistory.opportunity_id == opportunity_id)
        .order_by(StageHistory.entered_at.desc(), StageHistory.id.desc())).all()
    names = user_names(session, [row[0].user_id for row in rows])
    stays = []
    for row, stage in rows:
        entered = aware(row.entered_at)
        seconds = row.seconds if row.seconds is not None else \
            int(((aware(row.left_at) or now) - entered).total_seconds())
        stays.append(Stay(stage, entered, aware(row.left_at), seconds, humanise(seconds),
                          names.get(row.user_id, "") if row.user_id else ""))
    return stays


def time_in_stages(stays: list[Stay]) -> list[tuple[str, str]]:
    """Total time per stage, in first-entered order: ``(stage, humanised)``."""
    spent: dict[str, int] = {}
    for stay in reversed(stays):
        spent[stay.stage] = spent.get(stay.stage, 0) + stay.seconds
    return [(stage, humanise(seconds)) for stage, seconds in spent.items()]


def history_context(record: Any) -> dict[str, Any]:
    """The detail panel's data (``Panel(context=...)``): the stays, the time per stage, the
    pipeline's stages (the "Move to" form) and whether the opportunity is stale."""
    from crm_core.toolkit import get_session

    session = get_session()
    stays = stage_history(session, record.id)
    stages = list(session.scalars(select(Stage).where(Stage.pipeline_id == record.pipeline_id)
                                  .order_by(Stage.position, Stage.id)))
    current = next((stage for stage in stages if stage.id == record.stage_id), None)
    return {"stays": stays, "spent": time_in_stages(stays), "stages": stages,
            "stale": is_stale(record, current.rot_days if current else None),
            "rot_days": current.rot_days if current else None}
