"""One customer's pages: create and edit forms, the 360° page (basics, contacts, the
contact-record timeline, follow-ups, other plugins' panels) and the follow-ups widget. The
routes that add, change and delete contact records are in ``views_contacts``; contacts are
the ``contacts`` Resource (``contacts_resource``), whose forms the contacts panel links to.

Every customer is read through ``services.get_customer(..., user=current_user)``: a customer
outside the user's data scope answers 404, whatever the page. Contacts and records hang on
that customer, so reaching them through it keeps them in scope too.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import to_user_timezone
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from crm_core.toolkit import (
    DomainError,
    ReportWidget,
    db,
    hooks,
    record_history,
    require_permission,
    user_names,
)

from . import followups, services
from .blueprint import bp
from .forms import (
    KIND_LABELS,
    RECORD_KIND_LABELS,
    ConfirmForm,
    ContactRecordForm,
    CustomerForm,
    contact_record_form,
    customer_form,
    regions,
    submitted_values,
)
from .models import Contact, ContactRecord, Customer, CustomerTag, CustomerType, Tag
from .validation import FieldError, normalise_website

log = logging.getLogger(__name__)

VIEW, CREATE, EDIT, DELETE = (f"customers.customer.{verb}"
                              for verb in ("view", "create", "edit", "delete"))
TIMELINE_PAGE = 20
# The field name prefix of the add form, so it and inline edit forms never share ids.
NEW_RECORD = "new-record"

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
        return services.get_customer(db.session, customer_id, user=current_user,
                                     include_trash=include_trash)
    except services.CustomerNotFound:
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
            customer = services.create_customer(db.session, **values)
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
    form = customer_form(customer)
    if form.validate_on_submit():
        try:
            changed = services.update_customer(db.session, customer.id, submitted_values(form),
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
        services.get_customer(db.session, customer_id, user=current_user)
    except services.CustomerNotFound:
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
    services.delete_customer(db.session, customer.id, user=current_user)
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
        services.restore_customer(db.session, customer.id, user=current_user)
    except DomainError as error:
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(_("%(name)s was restored.", name=customer.name), "success")
    return redirect(url_for("customers.detail", customer_id=customer.id))


# ---------------------------------------------------------------------------- the 360° page


def _collect(hook: str, **kwargs: Any) -> list[Any]:
    """Every plugin's answer to ``hook``; a plugin that fails is logged and skipped."""
    caller = getattr(hooks(), hook, None)
    if caller is None:
        return []
    found: list[Any] = []
    for impl in reversed(caller.get_hookimpls()):
        if impl.hookwrapper or impl.wrapper:
            continue
        try:
            result = impl.function(**{name: kwargs[name] for name in impl.argnames})
            found.extend(item for item in result or () if isinstance(item, Mapping))
        except Exception:  # noqa: BLE001 - another plugin's bug must not break the page
            log.exception("Plugin %s failed in %s; the customer page is shown without it.",
                          impl.plugin_name, hook)
    return found


def _panels(customer: Customer) -> list[dict[str, Any]]:
    panels = [panel for panel in _collect("crm_customer_panels", customer_id=customer.id,
                                          user=current_user) if "html" in panel]
    panels.sort(key=lambda panel: (panel.get("order", 100), str(panel.get("id", ""))))
    return [{**panel, "html": Markup(panel["html"])} for panel in panels]


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment


def timeline(customer: Customer, before: dt.datetime | None, limit: int = TIMELINE_PAGE
             ) -> tuple[list[dict[str, Any]], dt.datetime | None]:
    """The newest ``limit`` entries older than ``before``: the customer's contact records and
    other plugins' entries merged by time; returns them and the next page's ``before``."""
    query = (select(ContactRecord).where(ContactRecord.customer_id == customer.id)
             .order_by(ContactRecord.occurred_at.desc(), ContactRecord.id.desc()).limit(limit))
    if before is not None:
        query = query.where(ContactRecord.occurred_at < before)
    records = list(db.session.scalars(query))
    entries: list[dict[str, Any]] = [{"at": _aware(record.occurred_at), "record": record}
                                     for record in records]
    may_have_more = len(records) == limit
    by_plugin: dict[str, int] = {}
    for entry in _collect("crm_customer_timeline", customer_id=customer.id, user=current_user,
                          before=before, limit=limit):
        if not isinstance(entry.get("at"), dt.datetime):
            continue
        plugin = str(entry.get("plugin", ""))
        by_plugin[plugin] = by_plugin.get(plugin, 0) + 1
        entries.append({**entry, "at": _aware(entry["at"])})
    may_have_more = may_have_more or any(count >= limit for count in by_plugin.values())
    entries.sort(key=lambda entry: entry["at"], reverse=True)
    page = entries[:limit]
    more = len(entries) > limit or may_have_more
    return page, (page[-1]["at"] if page and more else None)


def _record_context(customer: Customer, entries: list[dict[str, Any]],
                    contacts: list[Contact] | None = None) -> dict[str, Any]:
    """What the timeline template needs besides its entries."""
    records = [entry["record"] for entry in entries if "record" in entry]
    if contacts is None:
        contacts = customer_contacts(customer)
    return {"record_kinds": RECORD_KIND_LABELS,
            "contact_names": {contact.id: contact.name for contact in contacts},
            "authors": user_names(db.session, (record.user_id for record in records)),
            "may_change_record": lambda record: services.may_change_record(current_user,
                                                                            record)}


def render_detail(customer: Customer, record_form: ContactRecordForm | None = None,
                  status: int = 200) -> Any:
    """The 360° page, with the given add form (and its errors) in place of an empty one."""
    contacts = list(db.session.scalars(
        select(Contact).where(Contact.customer_id == customer.id)
        .order_by(Contact.is_primary.desc(), Contact.name, Contact.id)))
    tags = list(db.session.scalars(
        select(Tag).join(CustomerTag, CustomerTag.tag_id == Tag.id)
        .where(CustomerTag.customer_id == customer.id).order_by(Tag.name)))
    entries, next_before = timeline(customer, None)
    customer_type = (db.session.get(CustomerType, customer.customer_type_id)
                     if customer.customer_type_id else None)
    follow_up = followups.open_follow_up(db.session, customer.id)
    context = _record_context(customer, entries, contacts)
    return render_template(
        "customers/detail.html", customer=customer, contacts=contacts, tags=tags,
        customer_type=customer_type, kind_labels=KIND_LABELS,
        owner_name=user_names(db.session, [customer.owner_id]).get(customer.owner_id or 0),
        contacts_back=url_for("customers.detail", customer_id=customer.id,
                              _anchor="contacts"),
        record_form=record_form or contact_record_form(contacts, formdata=None,
                                                       prefix=NEW_RECORD),
        confirm_form=ConfirmForm(), entries=entries, next_before=next_before,
        follow_up=follow_up, today=followups.user_today(),
        due_label=followups.due_label, panels=_panels(customer),
        tag_text_colour=tag_text_colour,
        history=record_history(Customer, customer.id, limit=20), **context), status


@bp.get("/<int:customer_id>")
@require_permission(VIEW)
def detail(customer_id: int):  # type: ignore[no-untyped-def]
    """The customer's 360° page; a customer in the trash shows a restore note to those who
    may restore it and is missing (404) for everyone else."""
    customer = customer_or_404(customer_id, include_trash=True)
    if customer.in_trash:
        if not current_user.has_permission(DELETE):
            abort(404)
        return render_template("customers/detail.html", customer=customer, trashed=True,
                               confirm_form=ConfirmForm())
    return render_detail(customer)


@bp.get("/<int:customer_id>/timeline")
@require_permission(VIEW)
def timeline_page(customer_id: int):  # type: ignore[no-untyped-def]
    """Older timeline entries (the "load older" button's htmx request): ``before`` is an
    ISO 8601 time."""
    customer = customer_or_404(customer_id)
    try:
        before = _aware(dt.datetime.fromisoformat(request.args.get("before", "")))
    except ValueError:
        abort(400)
    entries, next_before = timeline(customer, before)
    return render_template("customers/_timeline.html", customer=customer, entries=entries,
                           next_before=next_before, confirm_form=ConfirmForm(),
                           **_record_context(customer, entries))


def customer_contacts(customer: Customer) -> list[Contact]:
    """The customer's contacts by name (the contact-record form's choices)."""
    return list(db.session.scalars(select(Contact).where(Contact.customer_id == customer.id)
                                   .order_by(Contact.name)))
