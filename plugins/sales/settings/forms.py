"""The sales settings form (WTForms, CSRF): letterhead, number patterns, days, notes."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from . import values

PATTERN_HELP = _l("{yyyy} year, {mm} month, {dd} day, {seq:04} the running number with four "
                  "digits; {seq} is required.")


def _pattern(form: Any, field: Any) -> None:
    problem = values.pattern_problem((field.data or "").strip())
    if problem:
        raise ValidationError(problem)


def _text(label: Any, size: int) -> StringField:
    return StringField(label, validators=[Optional(), Length(max=size)],
                       filters=[lambda text: (text or "").strip()])


def _series(label: Any) -> StringField:
    return StringField(label, validators=[InputRequired(), _pattern],
                       filters=[lambda text: (text or "").strip()], description=PATTERN_HELP)


def _days(label: Any, help_text: Any) -> IntegerField:
    return IntegerField(label, validators=[InputRequired(), NumberRange(0, values.DAYS_MAX)],
                        description=help_text)


class SalesSettingsForm(FlaskForm):
    """Every sales setting; field names are the settings' keys (``values.DEFAULTS``)."""

    company_name = _text(_l("Company name"), 200)
    company_address = _text(_l("Address"), 300)
    company_phone = _text(_l("Phone"), 50)
    tax_number = _text(_l("Tax number (税号)"), 30)
    bank_name = _text(_l("Bank"), 200)
    bank_account = _text(_l("Bank account"), 50)
    footer_note = TextAreaField(_l("Footer note"), validators=[Optional(), Length(max=1000)],
                                description=_l("Printed at the foot of quotes and orders."))
    quote_number_pattern = _series(_l("Quote numbers"))
    order_number_pattern = _series(_l("Order numbers"))
    contract_number_pattern = _series(_l("Contract numbers"))
    quote_validity_days = _days(_l("Quotes are valid for (days)"),
                                _l("A new quote's validity date is today plus these days."))
    renewal_days = _days(_l("Renewal reminder (days before a contract ends)"), "")
    contract_approval_note = TextAreaField(
        _l("Contract approval note"), validators=[Optional(), Length(max=1000)],
        description=_l("Shown to whoever submits a contract for approval."))

    def settings(self) -> dict[str, Any]:
        """The submitted values by setting key."""
        return {key: (self[key].data if self[key].data is not None else "")
                for key in values.DEFAULTS}
