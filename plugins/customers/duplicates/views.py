"""Pages of the dedupe part: the create/edit form's duplicate warning (an htmx partial), the
possible-duplicates page and the merge page.

Views stay thin: they parse the request, check the permission, call ``dedupe`` / ``merge``
and render. Every customer shown is read within the signed-in user's data scope.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, RadioField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, InputRequired

from crm_core.toolkit import DomainError, db, require_permission, user_names

from ..blueprint import bp
from ..models import Customer, CustomerType
from ..records.queries import CustomerNotFound, get_customer
from ..validation import parse_id
from . import merge
from . import services as dedupe

FIELD_LABELS = {
    "name": _l("Name"), "code": _l("Code"), "kind": _l("Kind"),
    "customer_type_id": _l("Customer type"), "industry": _l("Industry"),
    "province": _l("Province"), "city": _l("City"), "country": _l("Country"),
    "source": _l("Source"), "level": _l("Level"), "status": _l("Status"),
    "owner_id": _l("Owner"), "address": _l("Address"),
    "website": _l("Website"), "uscc": _l("Unified social credit code"), "notes": _l("Notes"),
    "id_card_number": _l("ID card number"), "bank_name": _l("Bank"),
    "bank_account": _l("Bank account"),
}


def customer_url(customer_id: int) -> str | None:
    """The customer's own page, when the record part offers one."""
    if "customers.detail" in current_app.view_functions:
        return url_for("customers.detail", customer_id=customer_id)
    return None


def _int_list(values: list[str]) -> list[int]:
    ids = []
    for value in values:
        for part in dedupe.split_values(value):
            if (number := parse_id(part)) is not None:
                ids.append(number)
    return list(dict.fromkeys(ids))


# ---------------------------------------------------------------------------- the warning


@bp.get("/duplicates/check")
@require_permission("customers.customer.view")
def duplicate_check():  # type: ignore[no-untyped-def]
    """The create/edit form's warning: likely duplicates of what was typed, or nothing.

    Query parameters: name, uscc, phones, emails (repeatable, or one a line) and exclude_id
    (the customer being edited). Only customers the user may see are listed.
    """
    args = request.args
    exclude = parse_id(args.get("exclude_id"))
    hits = dedupe.find_likely_duplicates(
        db.session, name=args.get("name", ""), uscc=args.get("uscc"),
        phones=args.getlist("phones"), emails=args.getlist("emails"), exclude_id=exclude,
        user=current_user, limit=5)
    return render_template("customers/_duplicate_warning.html", hits=hits, exclude_id=exclude,
                           customer_url=customer_url,
                           may_merge=current_user.has_permission("customers.customer.merge"))


# ---------------------------------------------------------------------------- groups page


@bp.get("/duplicates")
@require_permission("customers.customer.merge")
def duplicates():  # type: ignore[no-untyped-def]
    """Groups of customers sharing a phone, email, name or pinyin, one tab per kind."""
    kind = request.args.get("kind", "phone")
    if kind not in dedupe.DUPLICATE_KINDS:
        kind = "phone"
    cursor = request.args.get("cursor") or None
    groups, next_cursor = dedupe.duplicate_groups(db.session, kind, user=current_user,
                                                  cursor=cursor, limit=20)
    tabs = [(name, dedupe.group_label(name)) for name in dedupe.DUPLICATE_KINDS]
    return render_template("customers/duplicates.html", kind=kind, tabs=tabs, groups=groups,
                           cursor=cursor, next_cursor=next_cursor, customer_url=customer_url)


# ---------------------------------------------------------------------------- merge page


def _display(customer: Customer, name: str, names: dict[str, dict[int, str]]) -> str:
    value = getattr(customer, name)
    if value is None or value == "":
        return ""
    if name == "customer_type_id":
        return names["types"].get(value, str(value))
    if name == "owner_id":
        return names["users"].get(value, str(value))
    if name == "kind":
        return _("Company") if value == "company" else _("Person")
    return str(value)


def _names(customers: list[Customer]) -> dict[str, dict[int, str]]:
    """Display names of the types and owners the customers point at (there is no
    department to choose: it follows the chosen owner)."""
    session = db.session
    types = {c.customer_type_id for c in customers if c.customer_type_id}
    users = {c.owner_id for c in customers if c.owner_id}
    return {
        "types": dict(session.execute(select(CustomerType.id, CustomerType.name)
                                      .where(CustomerType.id.in_(types))).all()),
        "users": user_names(session, users),
    }


def _merge_form(customers: list[Customer], target_id: int, fields: list[str]) -> FlaskForm:
    """A form with the kept customer, one radio group per field whose values differ, and a
    confirmation box (built per request: the choices are these customers)."""
    options = [SelectChoice(str(customer.id), customer.code or str(customer.id))
               for customer in customers]
    defaults = merge.default_choices(customers, target_id)

    class MergeForm(FlaskForm):
        target = RadioField(_l("Customer to keep"), choices=options, default=str(target_id),
                            validators=[InputRequired()])
        confirm = BooleanField(_l("I understand: the other customers go to the trash."),
                               validators=[DataRequired(_l("Tick the box to confirm the "
                                                           "merge."))])

    for name in fields:
        setattr(MergeForm, f"field_{name}", RadioField(
            FIELD_LABELS[name], choices=options, default=str(defaults[name]),
            validators=[InputRequired()]))
    return MergeForm()


@bp.route("/merge", methods=["GET", "POST"], endpoint="merge")
@require_permission("customers.customer.merge")
def merge_page():  # type: ignore[no-untyped-def]
    """Merge two or more customers (``?ids=1&ids=2``): choose the customer to keep and, for
    each field where they differ, whose value it keeps; confirm; the rest go to the trash."""
    ids = _int_list(request.values.getlist("ids"))
    if len(ids) < 2 or len(ids) > merge.MAX_MERGE:
        message = (_("Choose at least two customers to merge.") if len(ids) < 2 else
                   _("Merge at most %(max)d customers at a time.", max=merge.MAX_MERGE))
        return render_template("customers/merge.html", customers=[], message=message), 400
    try:
        customers = dedupe.merge_candidates(db.session, ids, user=current_user)
    except CustomerNotFound:
        abort(404)
    requested = parse_id(request.values.get("target"))
    target_id = requested if requested in ids else ids[0]
    names = _names(customers)
    values = {name: [_display(customer, name, names) for customer in customers]
              for name in merge.MERGE_FIELDS}
    fields = [name for name in merge.MERGE_FIELDS if len(set(values[name])) > 1]
    form = _merge_form(customers, target_id, fields)
    status = 200
    if form.validate_on_submit():
        target = int(form.target.data)
        choices = {name: int(form[f"field_{name}"].data) for name in fields}
        try:
            merge.merge_customers(db.session, target, [i for i in ids if i != target],
                                  choices, user=current_user)
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            status = 400
        else:
            db.session.commit()
            code = get_customer(db.session, target, user=current_user).code
            flash(ngettext("%(num)d customer was merged into %(code)s.",
                           "%(num)d customers were merged into %(code)s.", len(ids) - 1,
                           code=code), "success")
            return redirect(customer_url(target) or url_for("customers.duplicates"))
    elif form.is_submitted():
        status = 400
    return render_template("customers/merge.html", customers=customers, form=form,
                           fields=fields, values=values, labels=FIELD_LABELS, ids=ids,
                           target_id=target_id, customer_url=customer_url,
                           united=_united_preview(customers), message=None), status


def _united_preview(customers: list[Customer]) -> dict[str, Any]:
    """What the merge adds up rather than chooses: phones, emails, amount, last contact."""
    phones = list(dict.fromkeys(p for customer in customers for p in customer.phones))
    emails = list(dict.fromkeys(e for customer in customers for e in customer.emails))
    contacts = [c.last_contact_at for c in customers if c.last_contact_at is not None]
    return {"phones": phones, "emails": emails,
            "amount": sum(customer.total_amount_decimal for customer in customers),
            "last_contact_at": max(contacts) if contacts else None}
