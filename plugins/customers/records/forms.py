"""The HTML forms of one customer's pages (WTForms, CSRF-protected through Flask-WTF): the
customer form, the contact form and the contact-record form, and how they are filled (select
lists, a customer's current values) and read back into service arguments.

Phones, emails and the USCC are checked here with the same functions the services use, so a
form shows every bad value at once, each under its field; the services check again.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import to_utc
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    DateField,
    DateTimeLocalField,
    Field,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from crm_core.toolkit import Model, custom_fields, db

from ..models import CUSTOMER_KINDS, RECORD_KINDS, Contact, Customer, CustomerType
from ..validation import (
    CONTENT_MAX,
    NOTES_MAX,
    WEBSITE_MAX,
    FieldError,
    check_list_size,
    normalise_email,
    normalise_phone,
    normalise_uscc,
    normalise_website,
)
from . import regions as region_table
from .custom import KIND as CUSTOM_KIND
from .sensitive import SENSITIVE_CLEANERS

KIND_LABELS = {"company": _l("Company"), "person": _l("Person")}
RECORD_KIND_LABELS = {"call": _l("Call"), "visit": _l("Visit"), "email": _l("Email"),
                      "meeting": _l("Meeting"), "other": _l("Other")}
# The customer fields the form edits (the services set the department from the owner).
FORM_FIELDS = ("name", "code", "kind", "customer_type_id", "industry", "province", "city",
               "country", "source", "level", "status", "owner_id", "phones", "emails",
               "address", "website", "uscc", "notes", "id_card_number", "bank_name",
               "bank_account")
_LIST_SEPARATORS = re.compile(r"[\n\r,;，；、]+")


def split_values(text: str | None) -> list[str]:
    """The values of a box that takes several, one per line or separated by commas."""
    return [part.strip() for part in _LIST_SEPARATORS.split(text or "") if part.strip()]


def optional_int(value: Any) -> int | None:
    """Coerce a select's value to an int, with "" (no choice) as None."""
    if value in (None, "", "None"):
        return None
    return int(value)


def _each(check: Callable[[str], str]) -> Callable[[FlaskForm, Field], None]:
    """A validator running ``check`` on every value of a several-values box and reporting
    every bad one (the field error lists them all); too many values are refused first."""

    def validate(_form: FlaskForm, field: Field) -> None:
        values = split_values(field.data)
        try:
            check_list_size(values, field.name)
        except FieldError as error:
            raise ValidationError(str(error)) from None
        problems = []
        for value in values:
            try:
                check(value)
            except FieldError as error:
                problems.append(str(error))
        if problems:
            field.errors.extend(problems[:-1])  # WTForms appends the raised one itself
            raise ValidationError(problems[-1])

    return validate


def _website(_form: FlaskForm, field: Field) -> None:
    try:
        normalise_website(field.data)
    except FieldError as error:
        raise ValidationError(str(error)) from None


def _uscc(_form: FlaskForm, field: Field) -> None:
    if (field.data or "").strip():
        try:
            normalise_uscc(field.data)
        except FieldError as error:
            raise ValidationError(str(error)) from None


def _sensitive(_form: FlaskForm, field: Field) -> None:
    try:
        SENSITIVE_CLEANERS[field.name](field.data)
    except FieldError as error:
        raise ValidationError(str(error)) from None


class CustomerForm(FlaskForm):
    """Every field a user sets on a customer; the view fills the select lists' choices."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=[SelectChoice(kind, KIND_LABELS[kind])
                                            for kind in CUSTOMER_KINDS], default="company")
    code = StringField(_l("Code"), validators=[Optional(), Length(max=40)],
                       description=_l("Leave empty to have one generated (C000123)."))
    customer_type_id = SelectField(_l("Type"), coerce=optional_int, validate_choice=False)
    industry = StringField(_l("Industry"), validators=[Length(max=100)])
    province = StringField(_l("Province"), validators=[Length(max=50)])
    city = StringField(_l("City"), validators=[Length(max=50)])
    country = StringField(_l("Country"), default="CN", validators=[Length(max=2)],
                          description=_l("Two-letter code, such as CN or US."))
    source = StringField(_l("Source"), validators=[Length(max=50)])
    level = StringField(_l("Level"), validators=[Length(max=20)])
    status = StringField(_l("Status"), default="active", validators=[Length(max=20)])
    owner_id = SelectField(_l("Owner"), coerce=optional_int, validate_choice=False)
    phones = TextAreaField(_l("Phones"), validators=[_each(normalise_phone)],
                           description=_l("One per line or separated by commas: a mobile "
                                          "(13812345678), a landline with its area code "
                                          "(010-12345678 转 123) or +country code."))
    emails = TextAreaField(_l("Emails"), validators=[_each(normalise_email)],
                           description=_l("One per line or separated by commas."))
    address = StringField(_l("Address"), validators=[Length(max=300)])
    website = StringField(_l("Website"), validators=[Length(max=WEBSITE_MAX), _website],
                          description=_l("An http:// or https:// address."))
    uscc = StringField(_l("Unified social credit code"), validators=[_uscc],
                       description=_l("18 characters, for companies."))
    notes = TextAreaField(_l("Notes"), validators=[Length(max=NOTES_MAX)])
    # stored encrypted (docs/customers.md, "ID card and bank account")
    id_card_number = StringField(_l("ID card number"), validators=[_sensitive],
                                 description=_l("18 characters, for persons."))
    bank_name = StringField(_l("Bank"), validators=[_sensitive],
                            description=_l("The bank and branch (开户行), for invoices."))
    bank_account = StringField(_l("Bank account"), validators=[_sensitive],
                               description=_l("The account number (银行账号), for invoices."))


class ContactRecordForm(FlaskForm):
    """One call, visit, email, meeting or other contact; the view fills the contact choices."""

    kind = SelectField(_l("Kind"), choices=[SelectChoice(kind, RECORD_KIND_LABELS[kind])
                                            for kind in RECORD_KINDS], default="call")
    contact_id = SelectField(_l("Contact"), coerce=optional_int, validate_choice=False)
    content = TextAreaField(_l("What was said"), validators=[Length(max=CONTENT_MAX)])
    occurred_at = DateTimeLocalField(_l("When"), format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
                                     validators=[Optional()],
                                     description=_l("Empty: now."))
    next_follow_up = DateField(_l("Next follow-up"), validators=[Optional()])


class ConfirmForm(FlaskForm):
    """An empty form for the POST buttons (delete, restore): only the CSRF token."""


# ---------------------------------------------------------------------------- filling the forms


def users_table() -> Any:
    """The kernel's user table (read through its metadata: plugins import only the toolkit)."""
    return Model.metadata.tables["core_user"]


def owner_choices(selected: int | None) -> list[SelectChoice]:
    """The owner select list: active users (and the current owner even if inactive)."""
    users = users_table()
    rows = db.session.execute(
        select(users.c.id, users.c.username, users.c.display_name)
        .where((users.c.is_active.is_(True)) | (users.c.id == selected))
        .order_by(users.c.username).limit(2000))
    return [SelectChoice("", _("— nobody —"))] + [
        SelectChoice(row.id, f"{row.display_name} ({row.username})"
                     if row.display_name and row.display_name != row.username
                     else row.username)
        for row in rows]


def type_choices() -> list[SelectChoice]:
    """The customer type select list, in the administrator's order."""
    types = db.session.scalars(select(CustomerType).order_by(CustomerType.position,
                                                             CustomerType.name))
    return [SelectChoice("", _("— none —"))] + [SelectChoice(kind.id, kind.name)
                                                for kind in types]


def regions() -> dict[str, list[str]]:
    """Province -> its cities (``regions.PROVINCES``), for the province and city lists."""
    return {name: list(cities) for name, cities in region_table.PROVINCES.items()}


def customer_form(customer: Customer | None = None) -> CustomerForm:
    """The customer form with its select lists filled (and a province list when known)."""
    province_list = regions()
    form_class = CustomerForm
    if province_list:
        form_class = type("CustomerFormWithRegions", (CustomerForm,), {
            "province": SelectField(_l("Province"), validate_choice=False)})
    form_class = custom_fields.form_class_with(form_class, db.session, CUSTOM_KIND,
                                               current_user)
    form = form_class(obj=form_values(customer) if customer else None)
    custom_fields.fill_form(form, db.session, customer.custom if customer else None,
                            new=customer is None)
    if customer is None and request.method == "GET":
        form.owner_id.data = current_user.id
    form.customer_type_id.choices = type_choices()
    form.owner_id.choices = owner_choices(form.owner_id.data)
    if province_list:
        form.province.choices = [SelectChoice("", _("— choose —"))] + [
            SelectChoice(name, name) for name in province_list]
    return form


class Values:
    """An object WTForms reads a customer's current values from (lists joined per line)."""

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)


def form_values(customer: Customer) -> Values:
    """A customer's values as the customer form shows them."""
    values = {field: getattr(customer, field) for field in FORM_FIELDS}
    values["phones"] = "\n".join(customer.phones)
    values["emails"] = "\n".join(customer.emails)
    values["uscc"] = customer.uscc or ""
    for field in ("id_card_number", "bank_name", "bank_account"):
        values[field] = getattr(customer, field) or ""
    values["code"] = customer.code or ""
    return Values(**values)


def submitted_values(form: CustomerForm) -> dict[str, Any]:
    """The customer form's data as ``services.create_customer`` / ``update_customer`` take
    it (the services put the customer in the chosen owner's department)."""
    values = {field: getattr(form, field).data for field in FORM_FIELDS}
    values["phones"] = split_values(values["phones"])
    values["emails"] = split_values(values["emails"])
    if form.custom_fields:  # the custom fields the user may edit (kernel custom_fields)
        values["custom"] = custom_fields.submitted(form)
    return values


def contact_record_form(contacts: list[Contact], **kwargs: Any) -> ContactRecordForm:
    """The contact-record form with the customer's contacts to choose from."""
    form = ContactRecordForm(**kwargs)
    form.contact_id.choices = [SelectChoice("", _("— none —"))] + [
        SelectChoice(contact.id, contact.name) for contact in contacts]
    return form


def occurred_at_utc(form: ContactRecordForm) -> dt.datetime | None:
    """The typed local time as an aware UTC datetime (None: now)."""
    if form.occurred_at.data is None:
        return None
    return to_utc(form.occurred_at.data).replace(tzinfo=dt.UTC)
