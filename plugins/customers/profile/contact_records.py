"""One customer's contact records (calls, visits, ...): add, edit (inline through htmx or
as a page) and delete, each reached through its customer (``views_record.customer_or_404``),
so a customer outside the user's scope answers 404 and so does a record of another customer.

Contacts themselves are the ``contacts`` Resource (``contacts_resource.py``); the old address
of a contact's form redirects there. Records stay here: they are entries of the customer's
timeline, edited inline on its page, changed only by their author (a per-record right a
Resource's per-action permissions cannot say), and their time is typed in the user's zone.
"""

from __future__ import annotations

import datetime as dt

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from crm_core.toolkit import db, get_scoped_or_404, require_permission

from ..blueprint import bp
from ..contacts.services import (
    add_contact_record,
    delete_contact_record,
    may_change_record,
    update_contact_record,
)
from ..models import Contact, ContactRecord, Customer
from ..records.forms import ConfirmForm, Values, contact_record_form, occurred_at_utc
from ..records.views import EDIT, customer_or_404, customers_time, saved
from .views import NEW_RECORD, customer_contacts, render_detail

# ---------------------------------------------------------------------------- contacts


@bp.get("/<int:customer_id>/contacts/<int:contact_id>/edit")
@require_permission(EDIT)
def contact_edit(customer_id: int, contact_id: int):  # type: ignore[no-untyped-def]
    """The old address of a contact's form: to the contacts resource's form, back to the
    customer afterwards (404 for a contact of another customer or out of scope)."""
    customer = customer_or_404(customer_id)
    contact = get_scoped_or_404(Contact, contact_id)
    if contact.customer_id != customer.id:
        abort(404)
    back = url_for("customers.detail", customer_id=customer.id, _anchor="contacts")
    return redirect(url_for("customers_contacts.edit", contact_id=contact.id, next=back), 301)


# ---------------------------------------------------------------------------- contact records


@bp.post("/<int:customer_id>/records")
@require_permission(EDIT)
def record_add(customer_id: int):  # type: ignore[no-untyped-def]
    """Record a call, visit, email, meeting or other contact, with an optional follow-up."""
    customer = customer_or_404(customer_id)
    form = contact_record_form(customer_contacts(customer), prefix=NEW_RECORD)
    if form.validate_on_submit() and (done := saved(
            form, lambda: add_contact_record(
                db.session, customer.id, kind=form.kind.data, content=form.content.data,
                occurred_at=occurred_at_utc(form), contact_id=form.contact_id.data,
                next_follow_up=form.next_follow_up.data, user_id=current_user.id,
                user=current_user),
            _("Contact record added."), customer, "timeline")):
        return done
    return render_detail(customer, record_form=form, status=400)


def _record_or_404(customer: Customer, record_id: int) -> ContactRecord:
    record = db.session.get(ContactRecord, record_id)
    if record is None or record.customer_id != customer.id:
        abort(404)
    if not may_change_record(current_user, record):
        abort(403)
    return record


@bp.route("/<int:customer_id>/records/<int:record_id>/edit", methods=["GET", "POST"])
@require_permission(EDIT)
def record_edit(customer_id: int, record_id: int):  # type: ignore[no-untyped-def]
    """Change one's own contact record (inline through htmx, or as a page)."""
    customer = customer_or_404(customer_id)
    record = _record_or_404(customer, record_id)
    local = customers_time(record.occurred_at)
    current = Values(kind=record.kind, contact_id=record.contact_id, content=record.content,
                     occurred_at=dt.datetime.strptime(local, "%Y-%m-%d %H:%M"),
                     next_follow_up=record.next_follow_up)
    form = contact_record_form(customer_contacts(customer), prefix=f"record-{record.id}",
                               obj=current)
    if form.validate_on_submit():
        changes = {"kind": form.kind.data, "content": form.content.data,
                   "contact_id": form.contact_id.data,
                   "next_follow_up": form.next_follow_up.data}
        if form.occurred_at.data is not None and form.occurred_at.data.strftime(
                "%Y-%m-%d %H:%M") != local:
            changes["occurred_at"] = occurred_at_utc(form)
        done = saved(form, lambda: update_contact_record(
            db.session, record.id, changes, user=current_user),
            _("Contact record saved."), customer, "timeline")
        if done:
            return done
    template = ("customers/_record_form.html" if request.headers.get("HX-Request")
                else "customers/_record_page.html")
    return render_template(template, customer=customer, record=record, form=form,
                           action=url_for("customers.record_edit", customer_id=customer.id,
                                          record_id=record.id)), 400 if form.errors else 200


@bp.post("/<int:customer_id>/records/<int:record_id>/delete")
@require_permission(EDIT)
def record_delete(customer_id: int, record_id: int):  # type: ignore[no-untyped-def]
    """Delete one's own contact record."""
    customer = customer_or_404(customer_id)
    record = _record_or_404(customer, record_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    delete_contact_record(db.session, record.id, user=current_user)
    db.session.commit()
    flash(_("Contact record deleted."), "success")
    return redirect(url_for("customers.detail", customer_id=customer.id, _anchor="timeline"))
