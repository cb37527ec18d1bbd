"""The customer 360° page's consent panel (a part: ``customer_panels``): each of the
customer's contacts with an address and whether marketing e-mail is granted, withdrawn or
never asked, since when, with a link to the address's history file. One indexed query
(contacts by customer, left-joined to the consent state by address), through the contacts'
scope; for holders of ``marketing.consent.view``.
"""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_babel import gettext as _
from sqlalchemy import and_, func, select

from crm_core.toolkit import db, format_datetime, model_for_table, scoped
from plugins.customers.services import CONTACT_TABLE

from .models import ConsentState

VIEW = "marketing.consent.view"
ROWS = 20


def _rows(customer_id: int, user: Any) -> list[dict[str, Any]]:
    contact = model_for_table(CONTACT_TABLE)
    email = func.lower(func.trim(contact.email))
    query = scoped(select(contact.name, email.label("email"), ConsentState.granted,
                          ConsentState.at)
                   .outerjoin(ConsentState, and_(ConsentState.email == email,
                                                 ConsentState.purpose == "marketing_email"))
                   .where(contact.customer_id == customer_id, contact.email != "")
                   .order_by(contact.is_primary.desc(), contact.id).limit(ROWS), contact, user)
    return [{"name": row.name, "email": row.email,
             "state": _("Never asked") if row.granted is None
             else _("Granted") if row.granted else _("Withdrawn"),
             "granted": row.granted, "since": format_datetime(row.at) if row.at else ""}
            for row in db.session.execute(query)]


def customer_panels(customer_id: int, user: Any) -> list[dict[str, Any]]:
    """The consent panel, for holders of ``marketing.consent.view``."""
    if user is None or not getattr(user, "is_authenticated", False) \
            or not user.has_permission(VIEW):
        return []
    html = render_template("marketing/_customer_consents.html", rows=_rows(customer_id, user),
                           may_export=user.has_permission("marketing.consent.export"))
    return [{"id": "marketing.consents", "title": _("Marketing consent"), "html": html,
             "order": 600}]
