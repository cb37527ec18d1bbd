"""Contracts declared once as a ``toolkit.Resource``: the list at ``/sales/contracts``, the
forms, the detail page (payment plan, files, approvals) and the API at
``/api/v1/sales/contracts``. Writes go through ``contracts.services``.

A part of the sales plugin: ``resources()``, ``approval_subjects()``,
``attachment_kinds()`` and the ``on_approval_decided`` listener (the kernel's decision on a
contract's approval, forwarded by ``plugin.py``).
"""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from marshmallow import fields, validate
from wtforms import DateField, SelectField, StringField
from wtforms.validators import Length, Optional

from crm_core.toolkit import (
    INT32_MAX,
    ApprovalSubject,
    AttachmentKind,
    Field,
    Filter,
    Id,
    Panel,
    Resource,
    Section,
    approvals_panel,
    attachments_panel,
    get_session,
    model_for_table,
)
from plugins.customers.services import CUSTOMER_TABLE

from ..catalog.fields import Yuan, YuanFormField
from ..display import money_text
from ..models import Contract, Order
from ..models.contract import CONTRACT_STATUS_LABELS
from . import plan, services

SUBJECT = services.SUBJECT
VIEW, EDIT = "sales.contract.view", "sales.contract.edit"


def customer_model() -> type:
    """The customers plugin's mapped class of its published table ``CUSTOMER_TABLE``, so
    that a contract's customer is a relation field (scoped choices, a scoped write check)
    without importing customers' models."""
    return model_for_table(CUSTOMER_TABLE)


def record_id(value: Any) -> int | None:
    """A select's record id: None when none is chosen; ``ValueError`` (a form error) for
    anything but a whole number from 1 to the id column's range."""
    if value in (None, "", "None"):
        return None
    number = int(value)
    if not 1 <= number <= INT32_MAX:
        raise ValueError(value)
    return number


class ContractForm(FlaskForm):
    """A contract's form: the amount in yuan, the number left empty for the next one."""

    number = StringField(_l("Number"), validators=[Optional(), Length(max=40)],
                         description=_l("Leave empty to take the next number."),
                         render_kw={"maxlength": 40})
    title = StringField(_l("Title"), validators=[Optional(), Length(max=200)],
                        render_kw={"maxlength": 200})
    order_id = SelectField(_l("Order"), coerce=record_id, validate_choice=False,
                           validators=[Optional()],
                           description=_l("A confirmed order: the customer and the amount "
                                          "come from it."))
    customer_id = SelectField(_l("Customer"), coerce=record_id, validate_choice=False,
                              validators=[Optional()])
    amount = YuanFormField(_l("Amount (yuan)"), render_kw={"inputmode": "decimal"})
    party_a = StringField(_l("Party A"), validators=[Optional(), Length(max=200)])
    party_b = StringField(_l("Party B"), validators=[Optional(), Length(max=200)])
    start_date = DateField(_l("Start date"), validators=[Optional()])
    end_date = DateField(_l("End date"), validators=[Optional()])
    signed_on = DateField(_l("Signed on"), validators=[Optional()])


def _create(session: Any, values: dict[str, Any], user: Any) -> Contract:
    return services.create_contract(session, values, user)


def _update(session: Any, contract: Contract, values: dict[str, Any], user: Any) -> Contract:
    return services.update_contract(session, contract, values, user)


def _delete(session: Any, contract: Contract, user: Any) -> None:
    services.delete_contract(session, contract, user)


def _plan_context(contract: Contract) -> dict[str, Any]:
    return {"plan": plan.plan_summary(get_session(), contract), "money": money_text}


_RESOURCE: list[Resource] = []


def contracts_resource() -> Resource:
    """The contracts Resource (built once, when the app asks for the hooks)."""
    if not _RESOURCE:
        _RESOURCE.append(Resource(
            model=Contract, name="contracts", label=_l("Contracts"), label_one=_l("Contract"),
            fields=[Field("number", _l("Number")),
                    Field("title", _l("Title")),
                    Field("order_id", _l("Order"), relation=Order, relation_label="number"),
                    Field("customer_id", _l("Customer"), relation=customer_model(),
                          relation_label="name"),
                    Field("amount", _l("Amount"), format=money_text),
                    Field("party_a", _l("Party A")),
                    Field("party_b", _l("Party B")),
                    Field("start_date", _l("Start date")),
                    Field("end_date", _l("End date")),
                    Field("signed_on", _l("Signed on")),
                    Field("status", _l("Status"), choices=list(CONTRACT_STATUS_LABELS.items()),
                          form=False),
                    Field("approval_id", _l("Approval"), form=False),
                    Field("approval_comment", _l("Approval comment"), form=False),
                    Field("owner_id", _l("Owner"), relation="user", form=False)],
            title_field="number",
            columns=["number", "title", "customer_id", "amount", "status", "end_date"],
            filters=[Filter("status", "choice"), Filter("customer_id", "relation"),
                     Filter("end_date", "date_range")],
            sorts=["number"], search=["number", "title"],
            sections=[Section(_l("Contract"), ["number", "title", "status", "customer_id",
                                               "order_id", "amount", "owner_id"]),
                      Section(_l("Terms"), ["party_a", "party_b", "start_date", "end_date",
                                            "signed_on", "approval_comment"])],
            panels=[Panel(_l("Payment plan"), "sales/contracts/_plan.html", _plan_context),
                    attachments_panel(SUBJECT, _l("Signed scans and files")),
                    approvals_panel(SUBJECT)],
            form_class=ContractForm,
            api_overrides={
                "amount": Yuan(required=False, allow_none=True,
                               metadata={"description": "Yuan, e.g. \"150000.00\"."}),
                "number": fields.String(required=False, validate=validate.Length(max=40)),
                "customer_id": Id(required=False, allow_none=True),
                "order_id": Id(required=False, allow_none=True)},
            create=_create, update=_update, delete=_delete,
            templates={"detail": "sales/contracts/detail.html"},
            export_columns=["id", "number", "title", "customer_id", "order_id", "amount",
                            "status", "start_date", "end_date", "signed_on"],
            actions=("view", "create", "edit", "delete", "export"),
            icon="file-earmark-text", order=340, parent="sales.orders"))
    return _RESOURCE[0]


def resources() -> list[Resource]:
    """The contracts Resource."""
    return [contracts_resource()]


def approval_subjects() -> list[ApprovalSubject]:
    """Contracts may need approval (definitions for ``sales.contract``)."""
    return [ApprovalSubject(SUBJECT, _l("Contract"), model=Contract,
                            url_for_subject=lambda contract_id: url_for(
                                "sales_contracts.detail", contract_id=contract_id))]


def attachment_kinds() -> list[AttachmentKind]:
    """Files on contracts (the signed scan)."""
    return [AttachmentKind(SUBJECT, Contract, view_permission=VIEW, edit_permission=EDIT,
                           label=_l("Contract"))]


def on_approval_decided(approval_id: int, subject_kind: str, subject_id: int, status: str,
                        comment: str) -> None:
    """A contract's approval ended: approved → active, rejected → draft with the comment."""
    if subject_kind == SUBJECT:
        services.apply_decision(get_session(), approval_id, subject_id, status, comment)
