"""The opportunity form (amounts typed in yuan, kept in fen) and the API's amount field.

The kernel fills the choices of the relation selects (customer, pipeline, stage, owner) with
the targets the user may see; the customer select has a search box (htmx, the resource's
``choices`` route), so a million customers never make a million options.
"""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from marshmallow import ValidationError, fields
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import Select

from ..models.opportunity import FORECAST_CATEGORY_LABELS, OPPORTUNITY_TYPE_LABELS
from ..money import MoneyError, to_fen, yuan

try:  # wtforms 3.2+: options as SelectChoice (tuples are deprecated)
    from wtforms.fields.choices import SelectChoice
except ImportError:  # pragma: no cover - older wtforms
    SelectChoice = None


def _options(labels: dict[str, Any]) -> list[Any]:
    return [SelectChoice(value, label) if SelectChoice is not None else (value, label)
            for value, label in labels.items()]


def _optional_int(value: Any) -> int | None:
    return int(value) if value not in (None, "", "None") else None


class AmountField(StringField):
    """An amount typed in yuan ("12,000.50"), kept in fen."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = str(valuelist[0] if valuelist else "").strip()[:40]
        self.data = 0
        if text:
            try:
                self.data = to_fen(text)
            except MoneyError:
                self.data = None
                raise ValueError(str(_l("Enter an amount in yuan, such as 12000.50."))) \
                    from None

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return yuan(self.data) if isinstance(self.data, int) and self.data else ""


class SearchableSelect(Select):
    """A select with a search box above it asking the resource's ``choices`` route."""

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        kwargs.setdefault("id", field.id)
        box = (f'<input type="search" class="form-control form-control-sm mb-1" '
               f'id="{escape(kwargs["id"])}-search" name="{escape(field.name)}-search" '
               f'autocomplete="off" maxlength="100" '
               f'placeholder="{escape(_l("Type to search…"))}" '
               f'aria-label="{escape(_l("Search"))}: {escape(field.label.text)}" '
               f'aria-controls="{escape(kwargs["id"])}" '
               f'hx-get="{escape(url_for("sales_opportunities.choices", field=field.name))}" '
               f'hx-trigger="input changed delay:300ms, search" '
               f'hx-target="#{escape(kwargs["id"])}" hx-swap="innerHTML">')
        return Markup(box) + super().__call__(field, **kwargs)


class OpportunityForm(FlaskForm):
    """Add or change an opportunity (the services check the stage's required fields)."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)],
                       render_kw={"maxlength": 200})
    customer_id = SelectField(_l("Customer"), coerce=_optional_int, validate_choice=False,
                              validators=[InputRequired()], widget=SearchableSelect())
    type = SelectField(_l("Type"), choices=_options(OPPORTUNITY_TYPE_LABELS))
    pipeline_id = SelectField(_l("Pipeline"), coerce=_optional_int, validate_choice=False,
                              validators=[Optional()])
    stage_id = SelectField(_l("Stage"), coerce=_optional_int, validate_choice=False,
                           validators=[Optional()],
                           description=_l("Empty: the pipeline's first stage."))
    amount = AmountField(_l("Amount (yuan)"), render_kw={"inputmode": "decimal"})
    probability = IntegerField(_l("Probability (%)"),
                               validators=[Optional(), NumberRange(0, 100)],
                               description=_l("Empty: the stage's default."))
    expected_close_date = DateField(_l("Expected close date"), validators=[Optional()])
    forecast_category = SelectField(_l("Forecast category"),
                                    choices=_options(FORECAST_CATEGORY_LABELS))
    source = StringField(_l("Source"), validators=[Length(max=50)],
                         render_kw={"maxlength": 50})
    competitors = StringField(_l("Competitors"), validators=[Length(max=500)],
                              render_kw={"maxlength": 500})
    next_step = StringField(_l("Next step"), validators=[Length(max=500)],
                            render_kw={"maxlength": 500})
    lost_reason = TextAreaField(_l("Lost reason"), validators=[Length(max=5000)])
    owner_id = SelectField(_l("Owner"), coerce=_optional_int, validate_choice=False,
                           validators=[Optional()],
                           description=_l("Empty: you. The department follows the owner."))


class Yuan(fields.Field):
    """An amount in the API: a decimal string in yuan out, a string or number in yuan in."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else yuan(int(value))

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValidationError(str(_l("Enter an amount in yuan, such as \"12000.50\".")))
        try:
            return to_fen(str(value)[:40])
        except MoneyError:
            raise ValidationError(
                str(_l("Enter an amount in yuan, such as \"12000.50\"."))) from None
