"""Internal service evaluations (服务评价, a part: ``blueprints()``): a manager scores how a
ticket was handled, 1–5 for the response's speed, the agent's professionalism and the
result, with a comment, at ``/service/tickets/<ticket_id>/evaluation`` (permission
``service.evaluation.create``). One per ticket: recording it again changes it (the
operation log keeps both). The ticket's page shows it in its satisfaction panel.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import get_scoped_or_404, get_session, require_permission

from ..models import Evaluation, Ticket
from ..permissions import EVALUATION_CREATE
from .forms import EvaluationForm

bp = Blueprint("service_evaluations", __name__, template_folder="../templates")
ASPECTS = ("speed", "professionalism", "result")


def blueprints() -> list[Blueprint]:
    """The evaluation form's blueprint."""
    return [bp]


def ticket_evaluation(session: Session, ticket_id: int) -> Evaluation | None:
    """The ticket's evaluation, if a manager recorded one."""
    return session.scalar(select(Evaluation).where(Evaluation.ticket_id == ticket_id))


def record_evaluation(session: Session, ticket: Ticket, values: dict[str, Any],
                      user_id: int | None) -> Evaluation:
    """Record (or change) the ticket's evaluation by ``user_id`` (the caller commits); the
    agent evaluated is the ticket's assignee now."""
    evaluation = ticket_evaluation(session, ticket.id)
    if evaluation is None:
        evaluation = Evaluation(ticket_id=ticket.id)
        session.add(evaluation)
    for aspect in ASPECTS:
        score = int(values[aspect])
        if not 1 <= score <= 5:
            raise ValueError(f"{aspect} must be 1 to 5")
        setattr(evaluation, aspect, score)
    evaluation.comment = (values.get("comment") or "").strip()
    evaluation.agent_id = ticket.assignee_id
    evaluation.evaluator_id = user_id
    session.flush()
    return evaluation


@bp.route("/service/tickets/<int:ticket_id>/evaluation", methods=["GET", "POST"])
@require_permission(EVALUATION_CREATE)
def evaluate(ticket_id: int) -> Any:
    """The evaluation form of a ticket the manager may see; saved, back to the ticket."""
    session = get_session()
    ticket = get_scoped_or_404(Ticket, ticket_id, live_only=True)
    found = ticket_evaluation(session, ticket.id)
    form = EvaluationForm()
    if not form.is_submitted() and found is not None:
        for aspect in ASPECTS:
            getattr(form, aspect).data = str(getattr(found, aspect))
        form.comment.data = found.comment
    if form.validate_on_submit():
        record_evaluation(session, ticket, form.data, current_user.id)
        session.commit()
        flash(_("Evaluation of ticket %(number)s saved.", number=ticket.number), "success")
        return redirect(url_for("service_tickets.detail", ticket_id=ticket.id))
    return render_template("service/surveys/evaluation.html", form=form, ticket=ticket,
                           found=found), (400 if form.errors else 200)
