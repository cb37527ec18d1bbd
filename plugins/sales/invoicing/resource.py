"""Invoice requests (开票申请) declared as a ``toolkit.Resource``: ``/sales/invoice_requests``
and ``/api/v1/sales/invoice_requests``, written through ``invoicing.services``; plus
cancelling one (page and ``POST /api/v1/sales/invoice_requests/<id>/cancel``).

A part of the sales plugin: ``resources()``, ``blueprints()``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from marshmallow import fields, validate
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from crm_core.toolkit import (
    DomainError,
    Field,
    Filter,
    Id,
    Resource,
    api_endpoint,
    get_scoped_or_404,
    get_session,
    require_permission,
)

from ..catalog.fields import Yuan, YuanFormField
from ..contracts.resource import money_text, record_id
from ..models import Contract, InvoiceRequest, Order
from ..models.contract import INVOICE_STATUS_LABELS, INVOICE_TYPE_LABELS, INVOICE_TYPES
from . import services

TYPE_CHOICES = list(INVOICE_TYPE_LABELS.items())
EDIT = "sales.invoice_request.edit"


class InvoiceRequestForm(FlaskForm):
    """Request an invoice: from a contract (or an order), amount in yuan, buyer."""

    contract_id = SelectField(_l("Contract"), coerce=record_id, validate_choice=False,
                              validators=[Optional()])
    order_id = SelectField(_l("Order"), coerce=record_id, validate_choice=False,
                           validators=[Optional()],
                           description=_l("Only when there is no contract."))
    amount = YuanFormField(_l("Amount (yuan)"), render_kw={"inputmode": "decimal"})
    invoice_type = SelectField(_l("Invoice type"), default="vat_special",
                               choices=[SelectChoice(value, label)
                                        for value, label in TYPE_CHOICES])
    buyer_name = StringField(_l("Buyer"), validators=[Optional(), Length(max=200)],
                             description=_l("The company name as the invoice shows it."))
    buyer_tax_number = StringField(_l("Buyer tax number"),
                                   validators=[Optional(), Length(max=20)],
                                   description=_l("18 characters, such as "
                                                  "91310000MA1FL8XQ2B."))
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=500)])


def _create(session: Any, values: dict[str, Any], user: Any) -> InvoiceRequest:
    return services.create_invoice_request(session, values, user)


def _update(session: Any, request: InvoiceRequest, values: dict[str, Any],
            user: Any) -> InvoiceRequest:
    return services.update_invoice_request(session, request, values, user)


def _delete(session: Any, request: InvoiceRequest, user: Any) -> None:
    services.delete_invoice_request(session, request, user)


_RESOURCE: list[Resource] = []


def invoice_requests_resource() -> Resource:
    """The invoice requests Resource (built once)."""
    if not _RESOURCE:
        _RESOURCE.append(Resource(
            model=InvoiceRequest, name="invoice_requests", label=_l("Invoice requests"),
            label_one=_l("Invoice request"),
            fields=[Field("contract_id", _l("Contract"), relation=Contract,
                          relation_label="number"),
                    Field("order_id", _l("Order"), relation=Order, relation_label="number"),
                    Field("amount", _l("Amount"), format=money_text),
                    Field("invoice_type", _l("Invoice type"), choices=TYPE_CHOICES),
                    Field("buyer_name", _l("Buyer")),
                    Field("buyer_tax_number", _l("Buyer tax number")),
                    Field("note", _l("Note"), textarea=True),
                    Field("status", _l("Status"), choices=list(INVOICE_STATUS_LABELS.items()),
                          form=False),
                    Field("external_ref", _l("ERP reference"), form=False),
                    Field("owner_id", _l("Owner"), relation="user", form=False)],
            title_field="buyer_name",
            columns=["buyer_name", "contract_id", "amount", "invoice_type", "status"],
            filters=[Filter("status", "choice"), Filter("invoice_type", "choice"),
                     Filter("contract_id", "relation")],
            search=["buyer_name", "buyer_tax_number"],
            form_class=InvoiceRequestForm,
            api_overrides={
                "amount": Yuan(required=True),
                "contract_id": Id(required=False, allow_none=True),
                "order_id": Id(required=False, allow_none=True),
                "invoice_type": fields.String(load_default="vat_normal",
                                              validate=validate.OneOf(INVOICE_TYPES)),
                "buyer_name": fields.String(required=True,
                                            validate=validate.Length(min=1, max=200))},
            create=_create, update=_update, delete=_delete,
            templates={"detail": "sales/invoicing/detail.html"},
            actions=("view", "create", "edit", "delete", "export"),
            icon="receipt", order=347, parent="sales.orders"))
    return _RESOURCE[0]


def resources() -> list[Resource]:
    """The invoice requests Resource."""
    return [invoice_requests_resource()]


bp = Blueprint("sales_invoice_flow", __name__)
api = Blueprint("sales_invoice_flow_api", __name__)


def _request_or_404(invoice_request_id: int) -> InvoiceRequest:
    request = get_scoped_or_404(InvoiceRequest, invoice_request_id)
    if request.deleted_at is not None:
        abort(404)
    return request


@bp.post("/sales/invoice_requests/<int:invoice_request_id>/cancel")
@require_permission(EDIT)
def cancel(invoice_request_id: int) -> Any:
    """Cancel the request (not once issued)."""
    request, session = _request_or_404(invoice_request_id), get_session()
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        services.cancel_invoice_request(session, request, current_user)
    except DomainError as error:
        session.rollback()
        flash(str(error), "error")
    else:
        session.commit()
        flash(_("The invoice request is cancelled."), "success")
    return redirect(url_for("sales_invoice_requests.detail",
                            invoice_request_id=invoice_request_id))


@api_endpoint(api, "/api/v1/sales/invoice_requests/<int:invoice_request_id>/cancel",
              methods=["POST"], permission=EDIT, tags=["sales"], endpoint="cancel")
def api_cancel(invoice_request_id: int) -> dict[str, Any]:
    """Cancel an invoice request; answers its id and status."""
    request, session = _request_or_404(invoice_request_id), get_session()
    services.cancel_invoice_request(session, request, current_user)
    session.commit()
    return {"id": request.id, "status": request.status}


def blueprints() -> list[Blueprint]:
    """The cancel page route and API."""
    return [bp, api]
