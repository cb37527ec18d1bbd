"""The form of the token page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length

from .tokens import MAX_NAME_LENGTH


class TokenForm(FlaskForm):
    """A new API token: only a label to recognise it by."""

    name = StringField(_l("Name"), validators=[Length(max=MAX_NAME_LENGTH)],
                       description=_l("Where the token is used, e.g. “ERP sync”."),
                       render_kw={"maxlength": MAX_NAME_LENGTH, "autocomplete": "off"})


class ConfirmForm(FlaskForm):
    """An empty form: its CSRF token confirms a destructive action."""
