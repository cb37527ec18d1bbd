"""A quote's own pages beside its Resource: turn it into an order, move its status, edit its
lines (the sales line editor); ``/sales/quotes/new?opportunity_id=`` presets the
opportunity's customer.

A part (``PARTS``): offers the quotes' Resource, this blueprint, the API's and the daily
expiry task.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from crm_core.toolkit import (
    DomainError,
    Resource,
    ScheduleEntry,
    TaskSpec,
    db,
    get_scoped_or_404,
    require_permission,
    scoped,
)

from ..lines.editor import editor_context
from ..lines.parsing import LinesRefused, lines_from_form
from ..models import Opportunity, Quote
from . import services
from .api import api
from .lines import line_input
from .resource import quotes_resource

bp = Blueprint("sales_quote_pages", __name__, template_folder="../templates",
               url_prefix="/sales/quotes")
VIEW, EDIT = "sales.quote.view", "sales.quote.edit"
ORDER_CREATE = "sales.order.create"


def quote_or_404(quote_id: int) -> Quote:
    """The quote if the signed-in user may see it and it is not deleted; else 404."""
    return get_scoped_or_404(Quote, quote_id, live_only=True)


def _back(quote: Quote) -> Any:
    return redirect(url_for("sales_quotes.detail", quote_id=quote.id))


def _checked() -> bool:
    if FlaskForm().validate_on_submit():
        return True
    flash(_("The form had expired. Please try again."), "error")
    return False


@bp.post("/<int:quote_id>/order")
@require_permission(ORDER_CREATE)
def to_order(quote_id: int) -> Any:
    """Turn the quote into an order with the same lines, once; then show the order."""
    quote = quote_or_404(quote_id)
    if not _checked():
        return _back(quote)
    try:
        order = services.convert_to_order(db.session, quote, current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _back(quote)
    db.session.commit()
    flash(_("Order %(number)s created from quote %(quote)s.", number=order.number,
            quote=quote.number), "success")
    return redirect(url_for("sales_orders.detail", order_id=order.id))


@bp.post("/<int:quote_id>/status")
@require_permission(EDIT)
def change_status(quote_id: int) -> Any:
    """Mark the quote sent, accepted, rejected or back to draft."""
    quote = quote_or_404(quote_id)
    if not _checked():
        return _back(quote)
    try:
        services.move(db.session, quote, request.form.get("status", ""))
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _back(quote)
    db.session.commit()
    flash(_("Quote %(number)s saved.", number=quote.number), "success")
    return _back(quote)


@bp.route("/<int:quote_id>/lines", methods=["GET", "POST"])
@require_permission(EDIT)
def edit_lines(quote_id: int) -> Any:
    """The quote's lines in the sales line editor; saved, the totals are worked out again."""
    quote = quote_or_404(quote_id)
    if services.status_of(quote) not in services.OPEN:
        flash(_("Only a draft or sent quote can be changed."), "error")
        return _back(quote)
    form = FlaskForm()
    if request.method == "GET":
        stored = [line_input(line) for line in services.quote_lines(db.session, quote.id)]
        return _lines_page(quote, form, stored, {})
    lines = lines_from_form(request.form)
    if not form.validate_on_submit():
        return _lines_page(quote, form, lines, {}, 400)
    try:
        services.update_quote(db.session, quote, {"lines": lines}, current_user)
    except LinesRefused as exc:
        db.session.rollback()
        return _lines_page(quote, form, lines, exc.errors, 400)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _back(quote)
    db.session.commit()
    flash(_("Quote %(number)s saved.", number=quote.number), "success")
    return _back(quote)


def _lines_page(quote: Quote, form: FlaskForm, lines: list[dict[str, str]],
                errors: dict[str, list[str]], status: int = 200) -> Any:
    return render_template("sales/quotes/lines.html", quote=quote, form=form,
                           editor=editor_context(db.session, lines, errors)), status


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    return {"quote_status": services.status_of, "quote_moves": _moves,
            "quote_status_label": _status_label}


def _status_label(status: str) -> str:
    from ..models.documents import QUOTE_STATUS_LABELS

    return str(QUOTE_STATUS_LABELS.get(status, status))


def _moves(status: str) -> list[tuple[str, Any]]:
    from ..models.documents import QUOTE_STATUS_LABELS

    names = {"sent": _("Mark sent"), "accepted": _("Mark accepted"),
             "rejected": _("Mark rejected"), "draft": _("Back to draft")}
    return [(target, names.get(target, QUOTE_STATUS_LABELS[target]))
            for target in services.MOVES.get(status, ())]


@bp.before_app_request
def _preset_customer() -> Any:
    """``/sales/quotes/new?opportunity_id=5`` (no customer): add the opportunity's customer,
    so the form opens with both chosen. An opportunity the user may not see adds nothing."""
    if request.endpoint != "sales_quotes.new" or "customer_id" in request.args:
        return None
    text = str(request.args.get("opportunity_id") or "")
    opportunity_id = int(text) if text.isdigit() and len(text) <= 9 else None
    if opportunity_id is None or not current_user.is_authenticated:
        return None
    customer_id = db.session.scalar(
        scoped(select(Opportunity.customer_id), Opportunity, current_user)
        .where(Opportunity.id == opportunity_id, Opportunity.deleted_at.is_(None)))
    if customer_id is None:
        return None
    return redirect(url_for("sales_quotes.new", **request.args.to_dict(),
                            customer_id=customer_id))


def resources() -> list[Resource]:
    """The quotes' Resource."""
    return [quotes_resource()]


def blueprints() -> list[Blueprint]:
    """The quote pages and the quote actions' API."""
    return [bp, api]


def _expire_task() -> str:
    count = services.expire_quotes(db.session)
    db.session.commit()
    return f"{count} quotes expired"


def celery_tasks() -> list[TaskSpec]:
    """``sales.expire_quotes``: store ``expired`` on open quotes past their validity."""
    return [TaskSpec("expire_quotes", _expire_task)]


def beat_schedule() -> list[ScheduleEntry]:
    """Expire quotes every night at 00:10."""
    return [ScheduleEntry("expire_quotes", "expire_quotes", crontab="10 0 * * *")]
