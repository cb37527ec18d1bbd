"""The 360° page of one customer: basics, contacts, the contact-record timeline merged with
other plugins' entries, the open follow-up and other plugins' panels. The routes that add,
change and delete contact records are in ``contact_records``.

The customer is read through ``customer_or_404`` (scoped): a customer outside the user's
data scope answers 404, and the contacts and records hang on that customer.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from flask import abort, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from crm_core.toolkit import (
    custom_fields,
    db,
    hooks,
    record_history,
    require_permission,
    user_names,
)
from crm_core.toolkit import stored_time as _aware

from ..blueprint import bp
from ..contacts.services import may_change_record
from ..models import Contact, ContactRecord, Customer, CustomerTag, CustomerType, Tag
from ..records import flags, followups
from ..records.custom import KIND as CUSTOM_KIND
from ..records.forms import (
    KIND_LABELS,
    RECORD_KIND_LABELS,
    ConfirmForm,
    ContactRecordForm,
    contact_record_form,
)
from ..records.views import DELETE, VIEW, customer_or_404, tag_text_colour

log = logging.getLogger(__name__)

TIMELINE_PAGE = 20
# The field name prefix of the add form, so it and inline edit forms never share ids.
NEW_RECORD = "new-record"



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
            "may_change_record": lambda record: may_change_record(current_user,
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
        flags=flags.open_flags(db.session, customer.id),
        due_label=followups.due_label, panels=_panels(customer),
        tag_text_colour=tag_text_colour,
        custom_sections=custom_fields.detail_sections(db.session, CUSTOM_KIND, current_user,
                                                      customer),
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
