"""Payments received (回款) declared as a ``toolkit.Resource``: ``/sales/payments`` and
``/api/v1/sales/payments``, written through ``receivables.payments``.

An overpayment asks for confirmation: the API answers 422 naming ``amount`` unless the body
says ``"confirm_overpayment": true``; the form shows the error with a "record it anyway"
box to tick. A part of the sales plugin: ``resources()``.
"""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from marshmallow import EXCLUDE, Schema, fields, validate
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional

from crm_core.toolkit import Field, Filter, Id, Resource, get_session, scoped

from ..catalog.fields import Yuan, YuanFormField
from ..contracts.resource import money_text, record_id
from ..models import Contract, Instalment, Payment
from ..models.contract import PAYMENT_METHOD_LABELS, PAYMENT_METHODS
from . import payments

METHOD_CHOICES = list(PAYMENT_METHOD_LABELS.items())


def _query_id(value: Any) -> int | None:
    try:
        return record_id(value)
    except (TypeError, ValueError):
        return None


def instalment_choices(contract_id: Any) -> list[SelectChoice]:
    """The instalments of a contract the signed-in user may see, for the payment form."""
    choices: list[SelectChoice] = [SelectChoice("", "—")]
    if not isinstance(contract_id, int):
        return choices
    session = get_session()
    contract = session.scalar(scoped(select(Contract.id).where(Contract.id == contract_id),
                                     Contract))
    if contract is None:
        return choices
    for item in session.scalars(select(Instalment).where(Instalment.contract_id == contract)
                                .order_by(Instalment.due_date, Instalment.id)):
        label = _l("No. %(n)d, due %(day)s, %(amount)s", n=item.sequence,
                   day=item.due_date.isoformat(), amount=money_text(item.amount))
        choices.append(SelectChoice(item.id, str(label)))
    return choices


class PaymentForm(FlaskForm):
    """Record a payment; the overpayment box shows when the amount is more than owed."""

    contract_id = SelectField(_l("Contract"), coerce=record_id, validate_choice=False,
                              validators=[InputRequired()])
    instalment_id = SelectField(_l("Instalment"), coerce=record_id, validate_choice=False,
                                validators=[Optional()])
    amount = YuanFormField(_l("Amount (yuan)"), validators=[InputRequired()],
                           render_kw={"inputmode": "decimal"})
    received_on = DateField(_l("Received on"), validators=[InputRequired()])
    method = SelectField(_l("Method"), default="bank_transfer",
                         choices=[SelectChoice(value, label) for value, label in METHOD_CHOICES])
    reference = StringField(_l("Reference"), validators=[Optional(), Length(max=100)],
                            description=_l("The bank's transaction number, a cheque number…"))
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=500)])
    confirm_overpayment = BooleanField(_l("Record it although it is more than what is "
                                          "outstanding"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        contract_id = self.contract_id.data
        if contract_id is None and has_request_context():
            contract_id = _query_id(request.args.get("contract_id"))
        self.instalment_id.choices = instalment_choices(contract_id)


class PaymentIn(Schema):
    """A payment as the API takes it (``amount`` in yuan)."""

    class Meta:
        unknown = EXCLUDE

    contract_id = Id(required=True)
    instalment_id = Id(allow_none=True)
    amount = Yuan(required=True)
    received_on = fields.Date(required=True)
    method = fields.String(load_default="bank_transfer",
                           validate=validate.OneOf(PAYMENT_METHODS))
    reference = fields.String(validate=validate.Length(max=100))
    note = fields.String(validate=validate.Length(max=500))
    confirm_overpayment = fields.Boolean(load_default=False,
                                         metadata={"description": "Record an amount larger "
                                                   "than what is outstanding."})


def _confirmed(values: dict[str, Any]) -> bool:
    if values.pop("confirm_overpayment", False):
        return True
    # the HTML form's box (the kernel hands the page's write only the model's fields)
    return has_request_context() and request.mimetype != "application/json" \
        and request.form.get("confirm_overpayment") in ("y", "on", "1", "true")


def _create(session: Any, values: dict[str, Any], user: Any) -> Payment:
    confirmed = _confirmed(values)
    return payments.record_payment(session, values, user, confirm_overpayment=confirmed)


def _update(session: Any, payment: Payment, values: dict[str, Any], user: Any) -> Payment:
    confirmed = _confirmed(values)
    return payments.update_payment(session, payment, values, user,
                                   confirm_overpayment=confirmed)


def _delete(session: Any, payment: Payment, user: Any) -> None:
    payments.delete_payment(session, payment, user)


_RESOURCE: list[Resource] = []


def payments_resource() -> Resource:
    """The payments Resource (built once)."""
    if not _RESOURCE:
        _RESOURCE.append(Resource(
            model=Payment, name="payments", label=_l("Payments received"),
            label_one=_l("Payment"),
            fields=[Field("contract_id", _l("Contract"), relation=Contract,
                          relation_label="number"),
                    Field("instalment_id", _l("Instalment")),
                    Field("amount", _l("Amount"), format=money_text),
                    Field("received_on", _l("Received on")),
                    Field("method", _l("Method"), choices=METHOD_CHOICES),
                    Field("reference", _l("Reference")),
                    Field("note", _l("Note"), textarea=True),
                    Field("owner_id", _l("Owner"), relation="user", form=False)],
            title_field="reference",
            columns=["received_on", "contract_id", "amount", "method", "reference"],
            filters=[Filter("method", "choice"), Filter("contract_id", "relation"),
                     Filter("received_on", "date_range")],
            sorts=["received_on"], default_sort="-received_on", search=["reference"],
            form_class=PaymentForm,
            api_overrides={"in": PaymentIn, "amount": Yuan()},
            create=_create, update=_update, delete=_delete,
            templates={"form": "sales/receivables/payment_form.html"},
            actions=("view", "create", "edit", "delete", "export"),
            icon="cash-coin", order=345, parent="sales.orders"))
    return _RESOURCE[0]


def resources() -> list[Resource]:
    """The payments Resource."""
    return [payments_resource()]
