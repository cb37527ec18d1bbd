"""What a contract's page does beyond the Resource's forms: submit it for approval,
terminate it, and keep its payment plan (add, change, remove instalments); each also in
the API (``/api/v1/sales/contracts/<contract_id>/submit`` ...).

A contract outside the user's scope, and an instalment of another contract, answer 404 on
every route. A part of the sales plugin: ``blueprints()``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from marshmallow import EXCLUDE, Schema, fields, validate
from sqlalchemy import select
from wtforms import DateField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from crm_core.toolkit import (
    DomainError,
    UtcDateTime,
    api_endpoint,
    get_scoped_or_404,
    get_session,
    require_permission,
)

from ..catalog.fields import Yuan, YuanFormField
from ..models import Contract, Instalment
from . import plan, services

VIEW, EDIT = "sales.contract.view", "sales.contract.edit"
bp = Blueprint("sales_contract_flow", __name__, template_folder="../templates")
api = Blueprint("sales_contract_flow_api", __name__)
ONE = "/sales/contracts/<int:contract_id>"
API_ONE = "/api/v1/sales/contracts/<int:contract_id>"


class ContractOut(Schema):
    """A contract as the flow endpoints answer it (as ``GET /api/v1/sales/contracts/<id>``)."""

    id = fields.Integer()
    number = fields.String()
    title = fields.String()
    order_id = fields.Integer(allow_none=True)
    customer_id = fields.Integer()
    amount = Yuan()
    party_a = fields.String()
    party_b = fields.String()
    start_date = fields.Date(allow_none=True)
    end_date = fields.Date(allow_none=True)
    signed_on = fields.Date(allow_none=True)
    status = fields.String()
    approval_id = fields.Integer(allow_none=True)
    approval_comment = fields.String()
    owner_id = fields.Integer(allow_none=True)
    updated_at = UtcDateTime()


class TerminateIn(Schema):
    """Why the contract ends early."""

    class Meta:
        unknown = EXCLUDE

    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class InstalmentIn(Schema):
    """An instalment of the payment plan."""

    class Meta:
        unknown = EXCLUDE

    due_date = fields.Date(required=True)
    amount = Yuan(required=True)
    note = fields.String(load_default="", validate=validate.Length(max=200))


class InstalmentPatch(InstalmentIn):
    """Some fields of an instalment (``PATCH``)."""


class InstalmentOut(Schema):
    """An instalment with what was received and whether it is overdue."""

    id = fields.Integer()
    contract_id = fields.Integer()
    sequence = fields.Integer()
    due_date = fields.Date()
    amount = Yuan()
    received_amount = Yuan()
    status = fields.String()
    overdue = fields.Method("_overdue")
    note = fields.String()

    def _overdue(self, instalment: Instalment) -> bool:
        return plan.is_overdue(instalment)


class TerminateForm(FlaskForm):
    """Terminate a contract: the reason is required."""

    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=500)])


class InstalmentForm(FlaskForm):
    """An instalment: due date, amount in yuan, note."""

    due_date = DateField(_l("Due date"), validators=[InputRequired()])
    amount = YuanFormField(_l("Amount (yuan)"), render_kw={"inputmode": "decimal"})
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)])


def contract_or_404(contract_id: int) -> Contract:
    """The contract if the signed-in user may see it and it is not deleted; else 404."""
    return get_scoped_or_404(Contract, contract_id, live_only=True)


def instalment_or_404(contract: Contract, instalment_id: int) -> Instalment:
    """The contract's instalment ``instalment_id``; 404 for any other."""
    instalment = get_session().scalar(select(Instalment).where(
        Instalment.id == instalment_id, Instalment.contract_id == contract.id))
    if instalment is None:
        abort(404)
    return instalment


def _detail(contract: Contract, anchor: str | None = None) -> Any:
    return redirect(url_for("sales_contracts.detail", contract_id=contract.id,
                            _anchor=anchor))


# -- pages -------------------------------------------------------------------------------


@bp.post(f"{ONE}/submit")
@require_permission(EDIT)
def submit(contract_id: int) -> Any:
    """Send the draft contract for approval (or make it active when none is needed)."""
    contract = contract_or_404(contract_id)
    session = get_session()
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        services.submit_contract(session, contract, current_user)
    except DomainError as error:
        session.rollback()
        flash(str(error), "error")
        return _detail(contract)
    session.commit()
    flash(_("Submitted for approval.") if contract.status == "pending_approval"
          else _("The contract is active."), "success")
    return _detail(contract)


@bp.route(f"{ONE}/terminate", methods=["GET", "POST"])
@require_permission(EDIT)
def terminate(contract_id: int) -> Any:
    """Ask why, then terminate the active contract."""
    contract = contract_or_404(contract_id)
    form, session = TerminateForm(), get_session()
    if form.validate_on_submit():
        try:
            services.terminate_contract(session, contract, form.reason.data, current_user)
        except DomainError as error:
            session.rollback()
            form.reason.errors = [*form.reason.errors, str(error)]
        else:
            session.commit()
            flash(_("The contract is terminated."), "success")
            return _detail(contract)
    status = 400 if form.is_submitted() else 200
    return render_template("sales/contracts/terminate.html", contract=contract,
                           form=form), status


def _plan_write(contract: Contract, form: InstalmentForm, write: Any,
                instalment: Instalment | None = None) -> Any:
    session = get_session()
    if form.validate_on_submit():
        try:
            write(session)
        except DomainError as error:
            session.rollback()
            field = getattr(error, "field", None)
            target = form[field] if field in ("due_date", "amount", "note") else form.amount
            target.errors = [*target.errors, str(error)]
        else:
            session.commit()
            flash(_("Payment plan saved."), "success")
            return _detail(contract, "plan")
    status = 400 if form.is_submitted() else 200
    return render_template("sales/contracts/instalment_form.html", contract=contract,
                           form=form, instalment=instalment), status


@bp.route(f"{ONE}/instalments/new", methods=["GET", "POST"])
@require_permission(EDIT)
def add_instalment(contract_id: int) -> Any:
    """Add an instalment to the plan (its sum stays within the contract amount)."""
    contract = contract_or_404(contract_id)
    form = InstalmentForm()
    return _plan_write(contract, form, lambda session: plan.add_instalment(
        session, contract, form.due_date.data, form.amount.data, form.note.data))


@bp.route(f"{ONE}/instalments/<int:instalment_id>/edit", methods=["GET", "POST"])
@require_permission(EDIT)
def edit_instalment(contract_id: int, instalment_id: int) -> Any:
    """Change an instalment's due date, amount or note."""
    contract = contract_or_404(contract_id)
    instalment = instalment_or_404(contract, instalment_id)
    form = InstalmentForm(obj=instalment)
    return _plan_write(contract, form, lambda session: plan.update_instalment(
        session, contract, instalment, form.due_date.data, form.amount.data,
        form.note.data), instalment)


@bp.post(f"{ONE}/instalments/<int:instalment_id>/delete")
@require_permission(EDIT)
def delete_instalment(contract_id: int, instalment_id: int) -> Any:
    """Remove an instalment from the plan."""
    contract = contract_or_404(contract_id)
    instalment = instalment_or_404(contract, instalment_id)
    session = get_session()
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        plan.delete_instalment(session, contract, instalment)
    except DomainError as error:
        session.rollback()
        flash(str(error), "error")
    else:
        session.commit()
        flash(_("Payment plan saved."), "success")
    return _detail(contract, "plan")


# -- API -----------------------------------------------------------------------------------


@api_endpoint(api, f"{API_ONE}/submit", methods=["POST"], permission=EDIT,
              response=ContractOut, tags=["sales"], endpoint="submit")
def api_submit(contract_id: int) -> Contract:
    """Submit a draft contract: ``pending_approval`` with ``approval_id``, or ``active``."""
    contract, session = contract_or_404(contract_id), get_session()
    services.submit_contract(session, contract, current_user)
    session.commit()
    return contract


@api_endpoint(api, f"{API_ONE}/terminate", methods=["POST"], permission=EDIT,
              body=TerminateIn, response=ContractOut, tags=["sales"], endpoint="terminate")
def api_terminate(contract_id: int, body: dict[str, Any]) -> Contract:
    """Terminate an active contract, with the reason."""
    contract, session = contract_or_404(contract_id), get_session()
    services.terminate_contract(session, contract, body["reason"], current_user)
    session.commit()
    return contract


@api_endpoint(api, f"{API_ONE}/instalments", permission=VIEW, response=InstalmentOut(many=True),
              tags=["sales"], endpoint="instalments")
def api_instalments(contract_id: int) -> Any:
    """The contract's payment plan, by due date."""
    return list(plan.instalments_of(get_session(), contract_or_404(contract_id).id))


@api_endpoint(api, f"{API_ONE}/instalments", methods=["POST"], permission=EDIT,
              body=InstalmentIn, response=InstalmentOut, status=201, tags=["sales"],
              endpoint="add_instalment")
def api_add_instalment(contract_id: int, body: dict[str, Any]) -> Instalment:
    """Add an instalment; 422 naming ``amount`` when the plan would exceed the contract."""
    contract, session = contract_or_404(contract_id), get_session()
    instalment = plan.add_instalment(session, contract, body["due_date"], body["amount"],
                                     body.get("note", ""))
    session.commit()
    return instalment


@api_endpoint(api, f"{API_ONE}/instalments/<int:instalment_id>", methods=["PATCH"],
              permission=EDIT, body=InstalmentPatch(partial=True), response=InstalmentOut,
              tags=["sales"], endpoint="update_instalment")
def api_update_instalment(contract_id: int, instalment_id: int,
                          body: dict[str, Any]) -> Instalment:
    """Change an instalment."""
    contract, session = contract_or_404(contract_id), get_session()
    instalment = instalment_or_404(contract, instalment_id)
    plan.update_instalment(session, contract, instalment,
                           body.get("due_date", instalment.due_date),
                           body.get("amount", instalment.amount),
                           body.get("note", instalment.note))
    session.commit()
    return instalment


@api_endpoint(api, f"{API_ONE}/instalments/<int:instalment_id>", methods=["DELETE"],
              permission=EDIT, status=204, tags=["sales"], endpoint="delete_instalment")
def api_delete_instalment(contract_id: int, instalment_id: int) -> None:
    """Remove an instalment."""
    contract, session = contract_or_404(contract_id), get_session()
    plan.delete_instalment(session, contract, instalment_or_404(contract, instalment_id))
    session.commit()


def blueprints() -> list[Blueprint]:
    """The contract flow's pages and API."""
    return [bp, api]
