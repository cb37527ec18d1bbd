"""The forms of the OA bridge's administration pages (WTForms, CSRF; choices as
``SelectChoice``, filled per request from the database)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import (
    BooleanField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from crm_core.toolkit import model_for_table

from ..approvals.mapping import VALUES
from ..models import KIND_LABELS, OaConnection


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes, one per choice."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _text(label: Any, size: int, description: Any = None) -> StringField:
    return StringField(label, validators=[Optional(), Length(max=size)],
                       description=description, render_kw={"maxlength": size})


class ConfirmForm(FlaskForm):
    """"Delete" on a confirmation page (CSRF only)."""


class LinkForm(FlaskForm):
    """A CRM user's identity in one OA."""

    connection_id = SelectField(_l("Connection"), coerce=int)
    username = _text(_l("CRM user name"), 80)
    oa_user_id = _text(_l("OA user id"), 100, _l("DingTalk userid, WeCom userid or Feishu "
                                                 "user_id."))
    oa_dept_id = _text(_l("Primary OA department id"), 100, _l("Optional; the org sync "
                                                               "fills it."))
    mobile = _text(_l("Mobile"), 30, _l("Optional: sign-in also finds the link by it."))


class ProcessForm(FlaskForm):
    """An approval definition decided in an OA process."""

    definition_id = SelectField(_l("Approval definition"), coerce=int)
    connection_id = SelectField(_l("Connection"), coerce=int)
    process_code = _text(_l("OA process code"), 200, _l("DingTalk processCode, WeCom "
                                                         "template_id or Feishu approval_code."))
    field_map = TextAreaField(
        _l("Form field mapping"), validators=[Optional(), Length(max=4000)],
        description=_l("One line per OA form field: field name = %(values)s. Empty: 标题, "
                       "详情 and 金额.", values=", ".join(VALUES)))


class RobotForm(FlaskForm):
    """A group robot and the notification kinds it posts; the webhook and secret are
    write-only."""

    name = _text(_l("Name"), 40)
    kind = SelectField(_l("OA system"), choices=[SelectChoice(value, label)
                                                 for value, label in KIND_LABELS.items()])
    webhook = PasswordField(_l("Webhook address"), validators=[Optional(), Length(max=500)],
                            description=_l("The group robot's webhook (WeCom: its key). "
                                           "Leave empty to keep the stored one."),
                            render_kw={"autocomplete": "new-password"})
    secret = PasswordField(_l("Signing secret"), validators=[Optional(), Length(max=200)],
                           description=_l("DingTalk 加签 or Feishu 签名校验; leave empty to "
                                          "keep the stored one."),
                           render_kw={"autocomplete": "new-password"})
    active = BooleanField(_l("Active"), default=True)
    kinds = MultiCheckboxField(_l("Post these notifications to the group"))


def connection_choices(session: Session) -> list[SelectChoice]:
    """Every connection, by name."""
    return [SelectChoice(row.id, f"{row.name} ({KIND_LABELS[row.kind]})")
            for row in session.scalars(select(OaConnection).order_by(OaConnection.name))]


def definition_choices(session: Session) -> list[SelectChoice]:
    """Every approval definition, by name."""
    model = model_for_table("core_approval_definition")
    return [SelectChoice(row.id, row.name)
            for row in session.scalars(select(model).order_by(model.name, model.id))]


def show_refusal(form: FlaskForm, field: str | None, message: str) -> None:
    """Put a service's refusal under its field, else at the top of the form."""
    target = form[field] if field and field in form else None
    if target is not None:
        target.errors = [*target.errors, message]
    else:
        form.form_errors.append(message)
