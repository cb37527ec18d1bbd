"""Moving a campaign's recipients along the funnel.

Each stage a recipient reaches is stamped once (``<stage>_at``, the first time) and the
recipient's ``status`` becomes the furthest stage reached, so a late "opened" after a click
never moves a recipient back. Tracking, sending, registration and responses all go through
``advance``: one UPDATE per call, safe to repeat (a replayed pixel counts nothing twice);
it adds what it stamped to the campaign's kept funnel counts (``evaluation.stage_totals``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import case, update
from sqlalchemy.orm import Session

from crm_core.toolkit import utcnow

from .evaluation.stage_totals import add_stamped
from .models import MEMBER_STATUSES, CampaignMember

__all__ = ["STAGES", "advance"]

#: the stages with a timestamp column (``planned`` and ``failed`` have none)
STAGES = ("sent", "delivered", "opened", "clicked", "unsubscribed", "registered", "responded")
_RANK = {status: rank for rank, status in enumerate(MEMBER_STATUSES)}


def advance(session: Session, member_ids: Iterable[int], stage: str,
            at: dt.datetime | None = None) -> int:
    """Stamp ``stage`` on the recipients ``member_ids`` that have not reached it yet and raise
    their status to it when it is further than theirs; answers how many were stamped now."""
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}")
    ids = list(member_ids)
    if not ids:
        return 0
    column = getattr(CampaignMember, f"{stage}_at")
    rank = _RANK[stage]
    behind = [status for status in MEMBER_STATUSES if _RANK[status] < rank]
    result = session.execute(
        update(CampaignMember)
        .where(CampaignMember.id.in_(ids), column.is_(None))
        .values({column: at or utcnow(),
                 CampaignMember.status: case((CampaignMember.status.in_(behind), stage),
                                             else_=CampaignMember.status)})
        .returning(CampaignMember.campaign_id, CampaignMember.id)
        .execution_options(synchronize_session=False))
    stamped = result.all()
    # the evaluation's funnel reads these kept counts, never a count of the members
    add_stamped(session, stage, stamped)
    return len(stamped)
