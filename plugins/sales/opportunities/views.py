"""The list's bulk changes (``POST /sales/opportunities/bulk-change``: reassign, move to a
stage, mark lost with a reason) and the template helpers the sales pages share."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import column, select, table

from crm_core.toolkit import DomainError, get_session, require_permission

from ..models import Pipeline, Stage
from ..permissions import OPPORTUNITY_EDIT
from . import bulk
from .resource import money_text

bp = Blueprint("sales_opportunity_bulk", __name__, url_prefix="/sales/opportunities")
_users = table("core_user", column("id"), column("username"), column("display_name"),
               column("is_active"))
OWNER_CHOICES = 500


def blueprints() -> list[Blueprint]:
    """The bulk changes' blueprint."""
    return [bp]


@bp.app_template_filter("sales_money")
def sales_money(fen: Any) -> str:
    """Fen as money: ``{{ opportunity.amount|sales_money }}`` → ``¥12,000.50``."""
    return money_text(fen)


@bp.app_template_global()
def sales_bulk_choices() -> dict[str, Any]:
    """The owners (active users) and stages (by pipeline) the bulk changes offer."""
    session = get_session()
    owners = [(row.id, row.display_name or row.username) for row in session.execute(
        select(_users.c.id, _users.c.username, _users.c.display_name)
        .where(_users.c.is_active.is_(True)).order_by(_users.c.username)
        .limit(OWNER_CHOICES))]
    stages: dict[str, list[tuple[int, str]]] = {}
    for pipeline, stage_id, stage in session.execute(
            select(Pipeline.name, Stage.id, Stage.name).join(Stage,
                                                             Stage.pipeline_id == Pipeline.id)
            .order_by(Pipeline.position, Pipeline.id, Stage.position, Stage.id)):
        stages.setdefault(pipeline, []).append((stage_id, stage))
    return {"owners": owners, "stages": list(stages.items())}


def _id(name: str) -> int | None:
    raw = request.form.get(name, "")
    return int(raw) if raw.isdigit() and len(raw) < 11 else None


@bp.post("/bulk-change")
@require_permission(OPPORTUNITY_EDIT)
def bulk_change() -> Any:
    """Reassign, move or mark lost the ticked opportunities the user may see."""
    qs = request.form.get("qs", "")
    back = url_for("sales_opportunities.list") + (f"?{qs}" if qs and len(qs) < 2000 else "")
    ids = [int(value) for value in request.form.getlist("ids")
           if value.isdigit() and len(value) < 11]
    session = get_session()
    records = bulk.visible(session, ids, current_user)
    if not records:
        flash(_("Tick at least one opportunity."), "error")
        return redirect(back)
    change = request.form.get("change", "")
    try:
        if change == "reassign":
            changed = bulk.reassign(session, records, _id("owner_id"), current_user)
        elif change == "move":
            changed = bulk.move(session, records, _id("stage_id"), current_user)
        elif change == "lost":
            changed = bulk.mark_lost(session, records,
                                     request.form.get("lost_reason", "")[:5000], current_user)
        else:
            flash(_("Choose what to change."), "error")
            return redirect(back)
    except DomainError as error:
        session.rollback()
        flash(str(error), "error")
        return redirect(back)
    session.commit()
    flash(ngettext("%(num)d opportunity changed.", "%(num)d opportunities changed.", changed),
          "success")
    return redirect(back)
