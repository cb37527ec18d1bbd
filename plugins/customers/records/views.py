"""One customer's forms and writes: create, edit, delete and restore, the follow-ups widget and
the template filters the customer pages share. The 360° page is in ``profile``; contacts are
the ``contacts`` Resource (``contacts.resource``), whose forms the contacts panel links to.

Every customer is read through ``get_customer(..., user=current_user)``: a customer
outside the user's data scope answers 404, whatever the page. Contacts and records hang on
that customer, so reaching them through it keeps them in scope too.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import to_user_timezone
from flask_login import current_user

from crm_core.toolkit import (
    DomainError,
    ReportWidget,
    db,
    require_permission,
)

from ..blueprint import bp
from ..models import STATUS_LABELS, Customer
from ..validation import FieldError, normalise_website
from . import followups
from .forms import (
    ConfirmForm,
    CustomerForm,
    customer_form,
    regions,
    submitted_values,
)
from .masking import protect_customer_form
from .queries import CustomerNotFound, get_customer
from .services import create_customer, delete_customer, restore_customer, update_customer

log = logging.getLogger(__name__)

VIEW, CREATE, EDIT, DELETE = (f"customers.customer.{verb}"
                              for verb in ("view", "create", "edit", "delete"))

# ---------------------------------------------------------------------------- the part's offers


def report_widgets() -> list[ReportWidget]:
    """The "My follow-ups" dashboard widget (kind "list")."""
    return [ReportWidget(id="customers.my_follow_ups", title=_l("My follow-ups"), kind="list",
                         permission=VIEW, order=20,
                         data=lambda: followups.widget_data(db.session, user=current_user))]


# ---------------------------------------------------------------------------- helpers


@bp.app_template_filter("customers_time")
def customers_time(moment: dt.datetime | None) -> str:
    """A stored (UTC) time in the user's time zone, to the minute."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return to_user_timezone(moment).strftime("%Y-%m-%d %H:%M")


@bp.app_template_filter("customers_status")
def customers_status(value: str | None) -> str:
    """A customer's status as the reader's language names it (``active`` → 活跃); a status
    the platform does not know shows as typed."""
    label = STATUS_LABELS.get(value or "")
    return str(label) if label is not None else (value or "")


@bp.app_template_filter("customers_web_url")
def customers_web_url(value: str | None) -> str | None:
    """The address to link a customer's website to, or None to show it as text only (a
    stored ``javascript:`` or ``data:`` value from before the check is never a link; an old
    one without a scheme, ``www.example.cn``, links to ``http://www.example.cn``)."""
    try:
        return normalise_website(value) or None
    except FieldError:
        return None


@bp.app_template_global("customers_list_url")
def customers_list_url() -> str:
    """The customer list page (the list part's), or the dashboard while there is none."""
    for endpoint in ("customers.index", "customers.list", "customers.list_customers"):
        if endpoint in current_app.view_functions:
            return url_for(endpoint)
    return url_for("core_ui.home")


def tag_text_colour(colour: str) -> str:
    """Black or white text, whichever reads better on a tag's #rrggbb colour."""
    try:
        red, green, blue = (int(colour[index:index + 2], 16) for index in (1, 3, 5))
    except ValueError:
        return "#fff"
    return "#000" if red * 299 + green * 587 + blue * 114 > 150_000 else "#fff"


def customer_or_404(customer_id: int, include_trash: bool = False) -> Customer:
    """The customer if the signed-in user may see it; 404 otherwise."""
    try:
        return get_customer(db.session, customer_id, user=current_user,
                                     include_trash=include_trash)
    except CustomerNotFound:
        abort(404)


def _show_error(form: Any, error: DomainError) -> None:
    """Put a service's error under its field (or above the form when it names none)."""
    field = getattr(error, "field", None)
    field = {"department_id": "owner_id"}.get(field, field)
    if field and field in form._fields:
        form[field].errors = [*form[field].errors, str(error)]
    else:
        form.form_errors.append(str(error))


def saved(form: Any, write: Callable[[], Any], message: str, customer: Customer,
          anchor: str) -> Any | None:
    """Run the service call ``write``: on a refusal roll back and show it on ``form`` (and
    return None); else commit, flash ``message`` and return the redirect to the customer's
    page at ``anchor``."""
    try:
        write()
    except DomainError as error:
        db.session.rollback()
        _show_error(form, error)
        return None
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("customers.detail", customer_id=customer.id, _anchor=anchor))


def _duplicate_check_url(customer: Customer | None) -> str | None:
    if "customers.duplicate_check" not in current_app.view_functions:
        return None
    return url_for("customers.duplicate_check")


# ---------------------------------------------------------------------------- create, edit, delete


@bp.route("/new", methods=["GET", "POST"])
@require_permission(CREATE)
def new():  # type: ignore[no-untyped-def]
    """The form for a new customer; owner defaults to the user, department to theirs."""
    form = customer_form()
    if form.validate_on_submit():
        try:
            values = submitted_values(form)
            customer = create_customer(db.session, **values)
        except DomainError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
            flash(_("Customer %(name)s added.", name=customer.name), "success")
            return _to_customer(customer.id)
    return _render_form(form, None)


@bp.route("/<int:customer_id>/edit", methods=["GET", "POST"])
@require_permission(EDIT)
def edit(customer_id: int):  # type: ignore[no-untyped-def]
    """The form for changing a customer the user may see."""
    customer = customer_or_404(customer_id)
    # masks for a user without view_sensitive; a mask sent back keeps the stored value
    form = protect_customer_form(customer_form(customer), customer)
    if form.validate_on_submit():
        try:
            changed = update_customer(db.session, customer.id, submitted_values(form),
                                               user=current_user)
        except DomainError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
            flash(_("Customer saved.") if changed else _("Nothing changed."), "success")
            return _to_customer(customer.id)
    return _render_form(form, customer)


def _to_customer(customer_id: int) -> Any:
    """To the customer's page, or to the list when the user gave it away (to an owner outside
    their data scope) and may no longer see it."""
    try:
        get_customer(db.session, customer_id, user=current_user)
    except CustomerNotFound:
        flash(_("The customer now belongs to someone outside what you may see."), "info")
        return redirect(customers_list_url())
    return redirect(url_for("customers.detail", customer_id=customer_id))


def _render_form(form: CustomerForm, customer: Customer | None) -> Any:
    status = 400 if form.errors or form.form_errors else 200
    return render_template("customers/form.html", form=form, customer=customer,
                           regions=regions(), duplicate_check_url=_duplicate_check_url(customer),
                           confirm_form=ConfirmForm()), status


@bp.post("/<int:customer_id>/delete")
@require_permission(DELETE)
def delete(customer_id: int):  # type: ignore[no-untyped-def]
    """Move the customer to the trash (restorable from its page)."""
    customer = customer_or_404(customer_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    delete_customer(db.session, customer.id, user=current_user)
    db.session.commit()
    flash(_("%(name)s was moved to the trash.", name=customer.name), "success")
    return redirect(url_for("customers.detail", customer_id=customer.id))


@bp.post("/<int:customer_id>/restore")
@require_permission(DELETE)
def restore(customer_id: int):  # type: ignore[no-untyped-def]
    """Take the customer back out of the trash."""
    customer = customer_or_404(customer_id, include_trash=True)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        restore_customer(db.session, customer.id, user=current_user)
    except DomainError as error:
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(_("%(name)s was restored.", name=customer.name), "success")
    return redirect(url_for("customers.detail", customer_id=customer.id))
