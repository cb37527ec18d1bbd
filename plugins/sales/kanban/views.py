"""The kanban pages: ``/sales/kanban`` (the default pipeline) and ``/sales/kanban/<id>``,
each column's cards (``/sales/kanban/<id>/columns/<stage id>``, loaded after the page, 20 at
a time) and moving a card (``POST /sales/opportunities/<id>/stage``: the drag of SortableJS,
the card's "Move to…" select, or the same form without JavaScript).

A move checks ``sales.opportunity.edit`` and the data scope (404 outside), goes through
``change_stage`` (the operation log records it) and answers the card and the pipeline's
headers as JSON, or a 422 naming the missing field so the card asks for it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from crm_core.toolkit import (
    INT32_MAX,
    DomainError,
    MenuItem,
    get_scoped_or_404,
    get_session,
    require_permission,
)

from ..models import Opportunity, Pipeline, Stage
from ..opportunities.resource import money_text
from ..opportunities.services import change_stage
from ..permissions import OPPORTUNITY_EDIT, OPPORTUNITY_VIEW
from ..pipelines.services import REQUIRED_FIELDS, default_pipeline, field_label, stages_of
from . import queries

SALES = Path(__file__).resolve().parent.parent
bp = Blueprint("sales_kanban", __name__, url_prefix="/sales",
               template_folder=str(SALES / "templates"), static_folder=str(SALES / "static"),
               static_url_path="/kanban/static")


def blueprints() -> list[Blueprint]:
    """The kanban's blueprint (it also carries the sales templates and static files)."""
    return [bp]


def menu_items() -> list[MenuItem]:
    """The "Kanban" entry of the menu."""
    return [MenuItem(id="sales.kanban", label=_l("Kanban"), endpoint="sales_kanban.board",
                     permission=OPPORTUNITY_VIEW, icon="kanban", order=205,
                     parent="sales.opportunities")]


def _pipeline(pipeline_id: int | None) -> Pipeline:
    session = get_session()
    if pipeline_id is None:
        pipeline = default_pipeline(session)
    elif 1 <= pipeline_id <= INT32_MAX:
        pipeline = session.get(Pipeline, pipeline_id)
    else:
        pipeline = None
    if pipeline is None:
        abort(404)
    return pipeline


def header_texts(stages: list[Stage]) -> dict[str, dict[str, str]]:
    """``{stage id: {"count", "amount"}}`` as the headers show them."""
    counts = queries.headers(get_session(), stages, current_user)
    return {str(stage_id): {"count": str(count), "amount": money_text(amount)}
            for stage_id, (count, amount) in counts.items()}


@bp.get("/kanban")
@require_permission(OPPORTUNITY_VIEW)
def board() -> str:
    """The default pipeline's kanban."""
    return _board(_pipeline(None))


@bp.get("/kanban/<int:pipeline_id>")
@require_permission(OPPORTUNITY_VIEW)
def pipeline_board(pipeline_id: int) -> str:
    """A pipeline's kanban: the columns' headers; their cards load after the page."""
    return _board(_pipeline(pipeline_id))


def _board(pipeline: Pipeline) -> str:
    session = get_session()
    stages = stages_of(session, pipeline.id)
    pipelines = list(session.scalars(select(Pipeline).where(Pipeline.active.is_(True))
                                     .order_by(Pipeline.position, Pipeline.id)))
    return render_template("sales/kanban/board.html", pipeline=pipeline, stages=stages,
                           pipelines=pipelines, headers=header_texts(stages),
                           stale_only=request.args.get("stale") == "1",
                           may_move=current_user.has_permission(OPPORTUNITY_EDIT))


@bp.get("/kanban/<int:pipeline_id>/columns/<int:stage_id>")
@require_permission(OPPORTUNITY_VIEW)
def column(pipeline_id: int, stage_id: int) -> str:
    """One column's next cards (HTML), after ``?cursor=``; ``?stale=1``: stale ones only."""
    pipeline = _pipeline(pipeline_id)
    session = get_session()
    stage = session.get(Stage, stage_id) if 1 <= stage_id <= INT32_MAX else None
    if stage is None or stage.pipeline_id != pipeline.id:
        abort(404)
    stale_only = request.args.get("stale") == "1"
    found, cursor = queries.cards(session, stage, current_user,
                                  request.args.get("cursor"), stale_only)
    return render_template("sales/kanban/_cards.html", cards=found, cursor=cursor,
                           stage=stage, pipeline=pipeline,
                           stages=stages_of(session, pipeline.id), stale_only=stale_only,
                           first=not request.args.get("cursor"),
                           may_move=current_user.has_permission(OPPORTUNITY_EDIT))


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.post("/opportunities/<int:opportunity_id>/stage")
@require_permission(OPPORTUNITY_EDIT)
def move(opportunity_id: int) -> Any:
    """Move a card to the stage ``stage`` (id or name), with values for the fields the
    stage requires; JSON for the board's script, else back to the board."""
    session = get_session()
    if not 1 <= opportunity_id <= INT32_MAX:
        abort(404)
    opportunity = get_scoped_or_404(Opportunity, opportunity_id)
    if opportunity.deleted_at is not None:
        abort(404)
    values = {name: request.form.get(name, "")[:5000] for name in REQUIRED_FIELDS
              if request.form.get(name)}
    try:
        change_stage(session, opportunity, request.form.get("stage", "")[:100],
                     current_user, values)
    except DomainError as error:
        session.rollback()
        field = getattr(error, "field", None)
        if _wants_json():
            body = {"message": str(error), "field": field,
                    "label": field_label(field) if field else None,
                    "kind": _input_kind(field)}
            return jsonify(body), 422
        flash(str(error), "error")
        return redirect(_back(opportunity))
    session.commit()
    stage = session.get(Stage, opportunity.stage_id)
    message = _("“%(name)s” moved to %(stage)s.", name=opportunity.name, stage=stage.name)
    if not _wants_json():
        flash(message, "success")
        return redirect(_back(opportunity))
    stages = stages_of(session, opportunity.pipeline_id)
    card = queries.present(session, [opportunity], {stage.id: stage.rot_days})[0]
    html = render_template("sales/kanban/_card.html", card=card, stages=stages,
                           pipeline_id=opportunity.pipeline_id,
                           may_move=True)
    return jsonify({"message": message, "stage_id": stage.id, "card": html,
                    "headers": header_texts(stages)})


def _back(opportunity: Opportunity) -> str:
    """Where a plain form post returns: ``next`` when it is a path of this site (the
    opportunity's page), else the board."""
    wanted = request.form.get("next", "")
    if wanted.startswith("/") and not wanted.startswith("//") and "\\" not in wanted \
            and len(wanted) < 500:
        return wanted
    return url_for(".pipeline_board", pipeline_id=opportunity.pipeline_id)


def _input_kind(field: str | None) -> str:
    """The input the card shows for a missing field."""
    return {"amount": "amount", "expected_close_date": "date",
            "lost_reason": "textarea"}.get(field or "", "text")

