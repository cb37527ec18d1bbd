"""Tags from analytics' customer value (the ``crm_analytics_apply_tag`` hook, an optional
hook: customers works without analytics and imports nothing of it). Marketing then targets
the tagged customers like any other tag.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from crm_core.toolkit import DomainError, get_session

from .models import Tag
from .records.queries import CustomerNotFound
from .records.services import add_tag, create_tag

EDIT = "customers.customer.edit"


def analytics_apply_tag(customer_ids: list[int], tag_name: str, user: Any) -> int:
    """Put the tag named ``tag_name`` (made when missing) on each customer of
    ``customer_ids`` that ``user`` may see; returns how many got it newly. The caller
    commits."""
    if user is None or not user.has_permission(EDIT):
        raise DomainError(_("You may not change customers' tags."))
    session = get_session()
    name = " ".join((tag_name or "").split())
    tag = session.scalar(select(Tag).where(Tag.name == name)) or create_tag(session, name)
    added = 0
    for customer_id in customer_ids:
        try:
            added += add_tag(session, customer_id, tag.id, user=user)
        except CustomerNotFound:
            continue  # out of the user's scope, or in the trash since the computation
    return added
