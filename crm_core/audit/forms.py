"""The operation log's filter form (GET, so no CSRF token: it changes nothing)."""

from __future__ import annotations

from flask_babel import gettext, lazy_gettext
from flask_wtf import FlaskForm
from wtforms import DateField, StringField
from wtforms.validators import Length, Optional, ValidationError


class LogFilterForm(FlaskForm):
    """User, model, record, action and a date range; every field optional."""

    class Meta:
        csrf = False

    user = StringField(lazy_gettext("User"), validators=[Optional(), Length(max=80)])
    model = StringField(lazy_gettext("Model"), validators=[Optional(), Length(max=120)])
    record_id = StringField(lazy_gettext("Record id"), validators=[Optional(), Length(max=64)])
    action = StringField(lazy_gettext("Action"), validators=[Optional(), Length(max=40)])
    date_from = DateField(lazy_gettext("From"), validators=[Optional()])
    date_to = DateField(lazy_gettext("To"), validators=[Optional()])

    def validate_date_to(self, field: DateField) -> None:
        """The range must not end before it starts."""
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(gettext("The end date is before the start date."))
