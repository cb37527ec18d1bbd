"""The survey's and the evaluation's forms (WTForms with the CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from .services import COMMENT_MAX

STARS = [SelectChoice(str(value), str(value)) for value in range(1, 6)]


class SurveyForm(FlaskForm):
    """1–5 stars, whether the problem was resolved, and a comment."""

    stars = RadioField(_l("How satisfied are you with our service?"), choices=STARS,
                       validators=[InputRequired(_l("Choose from one to five stars."))])
    resolved = RadioField(_l("Was your problem resolved?"),
                          choices=[SelectChoice("yes", _l("Yes")),
                                   SelectChoice("no", _l("No"))],
                          validators=[InputRequired(_l("Tell us whether it was resolved."))])
    comment = TextAreaField(_l("Anything you would like to tell us? (optional)"),
                            validators=[Length(max=COMMENT_MAX)])


class EvaluationForm(FlaskForm):
    """A manager's scores (1–5) per aspect and a comment."""

    speed = RadioField(_l("Response speed"), choices=STARS, validators=[DataRequired()])
    professionalism = RadioField(_l("Professionalism"), choices=STARS,
                                 validators=[DataRequired()])
    result = RadioField(_l("Result"), choices=STARS, validators=[DataRequired()])
    comment = TextAreaField(_l("Comment"), validators=[Length(max=COMMENT_MAX)])
