"""The staff form of an event's registration settings (WTForms with the session's CSRF)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, NumberRange, Optional

from crm_core.toolkit import INT32_MAX


class EventSettingsForm(FlaskForm):
    """Seats, deadline (in the user's time zone), place, time, introduction, questions."""

    is_open = BooleanField(_l("Registration is open"))
    capacity = IntegerField(_l("Capacity (seats; empty: no limit)"),
                            validators=[Optional(), NumberRange(1, INT32_MAX)],
                            render_kw={"inputmode": "numeric"})
    deadline = DateTimeLocalField(_l("Registration deadline"), validators=[Optional()],
                                  format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"])
    schedule = StringField(_l("Time (as people read it)"),
                           validators=[Optional(), Length(max=200)],
                           render_kw={"maxlength": 200,
                                      "placeholder": "2027-03-05 14:00–17:00"})
    place = StringField(_l("Place"), validators=[Optional(), Length(max=200)],
                        render_kw={"maxlength": 200})
    intro = TextAreaField(_l("Introduction"), validators=[Optional(), Length(max=5000)],
                          render_kw={"rows": 3})
    questions = TextAreaField(
        _l("Questions"), validators=[Optional(), Length(max=20_000)],
        description=_l("One per line: question | kind. Kinds: text, choice: a, b, c, yesno. "
                       "Start a line with * to make the answer required."),
        render_kw={"rows": 5, "placeholder": "*职位 | text\n午餐 | choice: 素食, 普通\n"
                                             "需要停车位 | yesno"})


class CheckInForm(FlaskForm):
    """A code typed by staff at the entrance."""

    code = StringField(_l("Code"), validators=[Length(max=100)],
                       render_kw={"maxlength": 100, "autocomplete": "off",
                                  "autocapitalize": "characters", "inputmode": "text"})
