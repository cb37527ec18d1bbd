"""Service requests declared once as a ``toolkit.Resource``: the list at
``/service/requests`` (keyset pages, filters by type, channel, priority and customer), the
forms, the detail page with the request's tickets, and the API at
``/api/v1/service/requests``, whose POST also opens the first ticket and answers its id in
``ticket_ids``. Writes go through ``requests.services``. A part of the service plugin:
``resources()``.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from crm_core.toolkit import (
    Field,
    Filter,
    Panel,
    Resource,
    Section,
    get_session,
    model_for_table,
    scoped,
)
from plugins.customers.services import CONTACT_TABLE, CUSTOMER_TABLE

from ..models import ServiceRequest, Ticket
from ..models.choices import (
    CHANNEL_LABELS,
    PRIORITY_LABELS,
    REQUEST_TYPE_LABELS,
    SLA_STATE_LABELS,
    TICKET_STATE_LABELS,
)
from ..public.panel import request_panels
from . import services
from .schemas import ServiceRequestIn, ServiceRequestOut


def _tickets_context(request: ServiceRequest) -> dict[str, Any]:
    """The request's tickets the reader may see (another team's are left out)."""
    tickets = get_session().scalars(scoped(
        select(Ticket).where(Ticket.request_id == request.id, Ticket.deleted_at.is_(None)),
        Ticket).order_by(Ticket.id)).all()
    return {"tickets": tickets, "states": TICKET_STATE_LABELS, "sla": SLA_STATE_LABELS}


_RESOURCE: list[Resource] = []


def requests_resource() -> Resource:
    """The service requests Resource (built once, when the app asks for the hooks)."""
    if not _RESOURCE:
        _RESOURCE.append(Resource(
            model=ServiceRequest, name="requests", label=_l("Service requests"),
            label_one=_l("Service request"),
            fields=[Field("number", _l("Reference"), form=False),
                    Field("type", _l("Type"), choices=list(REQUEST_TYPE_LABELS.items())),
                    Field("channel", _l("Channel"), choices=list(CHANNEL_LABELS.items())),
                    Field("customer_id", _l("Customer"),
                          relation=model_for_table(CUSTOMER_TABLE), relation_label="name"),
                    Field("contact_id", _l("Contact"),
                          relation=model_for_table(CONTACT_TABLE), relation_label="name"),
                    Field("subject", _l("Subject")),
                    Field("content", _l("Content"), textarea=True),
                    Field("priority", _l("Priority"), choices=list(PRIORITY_LABELS.items())),
                    Field("received_at", _l("Received"),
                          description=_l("When the call or visit happened (your time "
                                         "zone); empty: now.")),
                    Field("owner_id", _l("Entered by"), relation="user", form=False)],
            title_field="number",
            columns=["number", "type", "customer_id", "subject", "priority", "received_at"],
            filters=[Filter("type", "choice"), Filter("channel", "choice"),
                     Filter("priority", "choice"), Filter("customer_id", "relation"),
                     Filter("received_at", "date_range")],
            sorts=["number", "received_at"], default_sort="-received_at",
            search=["number", "subject"],
            sections=[Section(_l("Service request"), ["number", "type", "channel",
                                                      "customer_id", "contact_id",
                                                      "priority", "received_at", "owner_id"]),
                      Section(_l("What the customer said"), ["subject", "content"])],
            panels=[Panel(_l("Tickets"), "service/requests/_tickets.html",
                          _tickets_context), *request_panels()],
            api_overrides={"in": ServiceRequestIn, "out": ServiceRequestOut},
            create=services.create_request, update=services.update_request,
            delete=services.delete_request,
            templates={"list": "service/requests/list.html"},
            export_columns=["id", "number", "type", "channel", "customer_id", "subject",
                            "priority", "received_at"],
            actions=("view", "create", "edit", "delete", "export"),
            icon="headset", order=400))
    return _RESOURCE[0]


def resources() -> list[Resource]:
    """The service requests Resource."""
    return [requests_resource()]
