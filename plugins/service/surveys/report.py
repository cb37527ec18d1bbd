"""Where the answers show (a part: ``blueprints()``, ``menu_items()``): the ticket page's
satisfaction panel (``survey_panel()``, the customer's answers and the managers'
evaluation) and the page "满意度 / Satisfaction" at ``/service/satisfaction``: per team and
per agent over the last 90 days, surveys sent, answered (the response rate), the average
stars and how many said the problem was resolved, counting only the tickets the reader may
see (grouped reads through the ``(team_id, answered_at, id)`` / ``(agent_id, …)`` indexes
and the reader's scope)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import Integer, case, func, select
from sqlalchemy.orm import Session

from crm_core.toolkit import (
    MenuItem,
    Panel,
    get_session,
    require_permission,
    scoped,
    user_names,
    utcnow,
)

from ..models import Survey, Team, Ticket
from ..permissions import TICKET_VIEW
from .evaluations import ticket_evaluation
from .services import describe, ticket_surveys

bp = Blueprint("service_satisfaction", __name__, template_folder="../templates")
DAYS = 90


def blueprints() -> list[Blueprint]:
    """The satisfaction page's blueprint."""
    return [bp]


def menu_items() -> list[MenuItem]:
    """"Satisfaction" under the tickets."""
    return [MenuItem("service.satisfaction", _l("Satisfaction"), "service_satisfaction.page",
                     permission=TICKET_VIEW, icon="emoji-smile", order=402,
                     parent="service.tickets")]


def panel_context(ticket: Ticket) -> dict[str, Any]:
    """What the ticket's satisfaction panel shows."""
    session = get_session()
    surveys = ticket_surveys(session, ticket.id)
    evaluation = ticket_evaluation(session, ticket.id)
    now = utcnow()
    evaluator = None
    if evaluation is not None and evaluation.evaluator_id is not None:
        evaluator = user_names(session, [evaluation.evaluator_id]).get(evaluation.evaluator_id)
    return {"surveys": surveys, "states": {survey.id: describe(survey, now)
                                           for survey in surveys},
            "evaluation": evaluation, "evaluator": evaluator}


def survey_panel() -> Panel:
    """The ticket page's "Satisfaction" panel."""
    return Panel(_l("Satisfaction"), "service/surveys/_ticket_panel.html", panel_context)


def figures(session: Session, by: Any, user: Any, since: dt.datetime) -> list[dict[str, Any]]:
    """Per value of ``by`` (``Survey.team_id`` or ``Survey.agent_id``): surveys sent since
    ``since``, answered, average stars, answers saying resolved; the reader's scope."""
    answered = func.count(Survey.answered_at)
    statement = scoped(select(
        by.label("key"), func.count(Survey.id).label("sent"), answered.label("answered"),
        func.avg(Survey.stars).label("stars"),
        func.sum(case((Survey.resolved.is_(True), 1), else_=0)).cast(Integer)
        .label("resolved")).where(Survey.sent_at >= since), Survey, user)
    rows = session.execute(statement.group_by(by).order_by(answered.desc()).limit(200)).all()
    return [{"key": row.key, "sent": row.sent, "answered": row.answered,
             "rate": (row.answered / row.sent) if row.sent else None,
             "stars": float(row.stars) if row.stars is not None else None,
             "resolved": row.resolved or 0} for row in rows]


@bp.get("/service/satisfaction")
@require_permission(TICKET_VIEW)
def page() -> str:
    """满意度: the teams' and agents' survey figures of the last 90 days."""
    session = get_session()
    since = utcnow() - dt.timedelta(days=DAYS)
    me = current_user._get_current_object()  # noqa: SLF001 - Flask-Login's proxy
    teams = figures(session, Survey.team_id, me, since)
    agents = figures(session, Survey.agent_id, me, since)
    team_ids = [row["key"] for row in teams if row["key"] is not None]
    team_names = dict(session.execute(select(Team.id, Team.name)
                                      .where(Team.id.in_(team_ids))).all()) if team_ids else {}
    agent_names = user_names(session, [row["key"] for row in agents])
    return render_template("service/surveys/satisfaction.html", teams=teams, agents=agents,
                           team_names=team_names, agent_names=agent_names, days=DAYS)
