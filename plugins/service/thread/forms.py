"""The reply form of a ticket's page: the message, reply or note, "and wait for the
customer", files; and the canned reply select that fills the message (a GET)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, MultipleFileField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import Length

from ..models.choices import MESSAGE_KIND_LABELS
from .services import MAX_BODY


class ReplyForm(FlaskForm):
    """A reply to the customer or an internal note (its checks are the service's)."""

    body = TextAreaField(_l("Message"), validators=[Length(max=MAX_BODY)],
                         render_kw={"rows": 6, "maxlength": MAX_BODY})
    kind = RadioField(_l("Kind"), default="reply",
                      choices=[SelectChoice(value, label)
                               for value, label in MESSAGE_KIND_LABELS.items()])
    wait = BooleanField(_l("and wait for the customer"))
    files = MultipleFileField(_l("Files"))
