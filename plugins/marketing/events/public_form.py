"""The registration page's form (WTForms): who registers, the event's own questions, consent
to marketing e-mail, and a honeypot a person never sees. The rules (required fields, phone,
e-mail, answers) are the service's (``register.check_values``): the form only renders and
carries the CSRF token.

The CSRF token is a signed, dated token (``sign_link``), not one kept in the session: a
visitor coming from a WeChat article or a mail client often has no session cookie, and the
form acts for nobody's session. It still proves that the post follows a page we served
within ``CSRF_HOURS``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    RadioField,
    SelectChoice,
    StringField,
    TelField,
)
from wtforms.csrf.core import CSRF
from wtforms.validators import ValidationError

from crm_core.toolkit import LinkExpired, LinkInvalid, read_link, sign_link

from .models import Event
from .questions import MAX_ANSWER, NO, YES
from .register import LIMITS

CSRF_PURPOSE = "marketing.event_form_csrf"
CSRF_HOURS = 12
#: the honeypot's name: a field robots like to fill, hidden from people
HONEYPOT = "homepage"


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


def _limit(name: str, **more: object) -> dict[str, object]:
    return {"maxlength": LIMITS[name], **more}


class RegistrationForm(FlaskForm):
    """A person's registration (the event's questions are added per event)."""

    class Meta:
        csrf_class = SignedCSRF

    name = StringField(_l("Your name"), render_kw=_limit("name", autocomplete="name"))
    phone = TelField(_l("Mobile phone"), render_kw=_limit("phone", autocomplete="tel",
                                                          inputmode="tel"))
    email = EmailField(_l("E-mail"), render_kw=_limit("email", autocomplete="email"))
    company = StringField(_l("Company (optional)"),
                          render_kw=_limit("company", autocomplete="organization"))
    consent = BooleanField(_l("Send me news and invitations by e-mail. I can unsubscribe "
                              "at any time."))
    homepage = StringField(_l("Leave this field empty"),
                           render_kw={"autocomplete": "off", "tabindex": "-1"})


def form_for(event: Event) -> RegistrationForm:
    """The registration form of ``event``: the fixed fields and one per question
    (``q0``, ``q1``…, labelled with a ``*`` when required)."""

    class EventForm(RegistrationForm):
        pass

    for question in event.questions or []:
        label = question["label"] + (" *" if question.get("required") else "")
        if question["kind"] == "choice":
            field: Any = RadioField(label, choices=[SelectChoice(choice, choice)
                                                    for choice in question["choices"]],
                                    validate_choice=False)
        elif question["kind"] == "yesno":
            field = RadioField(label, choices=[SelectChoice(YES, _("Yes")),
                                               SelectChoice(NO, _("No"))],
                               validate_choice=False)
        else:
            field = StringField(label, render_kw={"maxlength": MAX_ANSWER})
        setattr(EventForm, question["id"], field)
    return EventForm()


def question_fields(form: RegistrationForm, event: Event) -> list[Any]:
    """The form's question fields, in the event's order."""
    return [form[question["id"]] for question in event.questions or []
            if question["id"] in form]
