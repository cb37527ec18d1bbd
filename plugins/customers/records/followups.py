"""Follow-ups: the next-follow-up dates of contact records that are still open.

A follow-up is the ``next_follow_up`` date of a customer's *newest* contact record: once
anyone records a newer contact with the customer, the earlier follow-up counts as done (and
the new record may set the next one). So a customer has at most one open follow-up, and
nobody has to tick anything off.

"My follow-ups" are the open ones due today or overdue on the customers a user owns or whose
records they made, within their data scope, customers in the trash left out.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import has_request_context, url_for
from flask_babel import gettext as _
from flask_babel import ngettext, to_user_timezone
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import scoped, utcnow

from ..models import ContactRecord, Customer

WIDGET_ITEMS = 10


def user_today() -> dt.date:
    """Today's date where the user is (the app's time zone; UTC outside a request)."""
    now = utcnow()
    return to_user_timezone(now).date() if has_request_context() else now.date()


def due_follow_ups(session: Session, *, user: Any, today: dt.date | None = None,
                   limit: int = 50) -> list[tuple[ContactRecord, Customer]]:
    """Open follow-ups due on or before ``today`` (default: the user's today) on customers
    ``user`` owns or whose newest record they made, oldest date first, at most ``limit``.

    Reads the customers' maintained ``follow_up_on`` / ``follow_up_by`` through the
    ``(owner_id, follow_up_on)`` and ``(follow_up_by, follow_up_on)`` indexes (two seeks, not
    a scan of every follow-up ever set), then the open records of those few customers."""
    today = today or user_today()
    user_id = getattr(user, "id", user)
    found: dict[int, Customer] = {}
    for column in (Customer.owner_id, Customer.follow_up_by):
        query = scoped(select(Customer), Customer, user).where(
            column == user_id, Customer.follow_up_on.is_not(None),
            Customer.follow_up_on <= today, Customer.deleted_at.is_(None))
        for customer in session.scalars(query.order_by(Customer.follow_up_on, Customer.id)
                                        .limit(limit)):
            found[customer.id] = customer
    customers = sorted(found.values(), key=lambda customer: (customer.follow_up_on,
                                                             customer.id))[:limit]
    # The newest record of each of these customers in one query: the one at the customer's
    # maintained last_contact_at (an index seek each; the highest id wins a tie).
    newest: dict[int, ContactRecord] = {}
    if customers:
        for record in session.scalars(
                select(ContactRecord)
                .join(Customer, Customer.id == ContactRecord.customer_id)
                .where(Customer.id.in_([customer.id for customer in customers]),
                       ContactRecord.occurred_at == Customer.last_contact_at)
                .order_by(ContactRecord.customer_id, ContactRecord.id.desc())):
            newest.setdefault(record.customer_id, record)
    return [(newest[customer.id], customer) for customer in customers
            if customer.id in newest and newest[customer.id].next_follow_up is not None]


def open_follow_up(session: Session, customer_id: int) -> ContactRecord | None:
    """The customer's open follow-up (its newest record, when that one set a date)."""
    newest = session.scalar(select(ContactRecord)
                            .where(ContactRecord.customer_id == customer_id)
                            .order_by(ContactRecord.occurred_at.desc(),
                                      ContactRecord.id.desc()).limit(1))
    if newest is None or newest.next_follow_up is None:
        return None
    return newest


def due_label(day: dt.date, today: dt.date) -> str:
    """"Today", "Tomorrow", "3 days overdue" or the date, translated."""
    days = (today - day).days
    if days == 0:
        return _("Today")
    if days == -1:
        return _("Tomorrow")
    if days > 0:
        return ngettext("%(num)d day overdue", "%(num)d days overdue", days)
    return day.isoformat()


def widget_data(session: Session, *, user: Any) -> dict[str, Any]:
    """The "My follow-ups" widget: ``{"items": [{"title", "url", "subtitle", "badge"}],
    "empty": text}`` (the dashboard's "list" kind)."""
    today = user_today()
    items = []
    for record, customer in due_follow_ups(session, user=user, today=today,
                                           limit=WIDGET_ITEMS):
        content = " ".join((record.content or "").split())
        items.append({
            "title": customer.name,
            "url": url_for("customers.detail", customer_id=customer.id),
            "subtitle": content if len(content) <= 60 else content[:59] + "…",
            "badge": due_label(record.next_follow_up, today),
            # the badge's colour: the same due-date classes as the list and the record page
            "due": "overdue" if record.next_follow_up < today else "today",
        })
    return {"items": items, "empty": _("No follow-ups due today. Well done.")}
