"""The public form's fields (WTForms, with CSRF): what the customer types, an optional file
and the honeypot a person never sees. The rules (lengths, phone or e-mail) are the service's
(``services.check_values``), so the page and the JSON answer say the same.

The CSRF token is a signed, dated token of this form (``sign_link``), not one kept in the
session: inside another site's frame the browser sends no session cookie (``SameSite=Lax``),
and the form acts for nobody's session, so a session-bound token would only break embedding.
It still proves that the post follows a page we served within ``CSRF_HOURS``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    EmailField,
    SelectChoice,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.csrf.core import CSRF
from wtforms.validators import ValidationError

from crm_core.toolkit import LinkExpired, LinkInvalid, read_link, sign_link

from ..models.choices import REQUEST_TYPE_LABELS
from .services import LIMITS

CSRF_PURPOSE = "service.form_csrf"
CSRF_HOURS = 12


class SignedCSRF(CSRF):
    """A dated token signed with the app's key, valid for ``CSRF_HOURS``."""

    def generate_csrf_token(self, csrf_token_field: Any) -> str:
        """A fresh token."""
        return sign_link(CSRF_PURPOSE, "form")

    def validate_csrf_token(self, form: Any, field: Any) -> None:
        """Refuse a token we did not sign for this purpose, or an old one."""
        try:
            read_link(CSRF_PURPOSE, field.data or "", max_age=dt.timedelta(hours=CSRF_HOURS))
        except (LinkInvalid, LinkExpired):
            raise ValidationError(_("The form has expired. Please try again.")) from None

#: The honeypot's name: a field robots like to fill, hidden from people.
HONEYPOT = "homepage"


def _limit(name: str, **more: object) -> dict[str, object]:
    return {"maxlength": LIMITS[name], **more}


class PublicRequestForm(FlaskForm):
    """A customer's inquiry, complaint or suggestion."""

    class Meta:
        csrf_class = SignedCSRF

    type = SelectField(_l("What is it about?"), choices=[
        SelectChoice(value, label) for value, label in REQUEST_TYPE_LABELS.items()])
    name = StringField(_l("Your name"), render_kw=_limit("name", autocomplete="name"))
    phone = TelField(_l("Mobile phone"), render_kw=_limit("phone", autocomplete="tel",
                                                          inputmode="tel"))
    email = EmailField(_l("E-mail"), render_kw=_limit("email", autocomplete="email"))
    company = StringField(_l("Company (optional)"),
                          render_kw=_limit("company", autocomplete="organization"))
    subject = StringField(_l("Subject"), render_kw=_limit("subject"))
    content = TextAreaField(_l("Details"), render_kw=_limit("content", rows=6))
    file = FileField(_l("A file (optional)"))
    homepage = StringField(_l("Leave this field empty"),
                           render_kw={"autocomplete": "off", "tabindex": "-1"})
