"""Tickets (工单) and their messages.

A ticket belongs to a request and is worked by a team (whose department it belongs to, for
the data scope) and an assignee. Its due times come from the SLA policy on the working
calendar; ``sla_state`` is stored when the ticket is resolved (so reports never recompute
it). ``version`` is the optimistic lock: two agents changing one ticket cannot both win.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.toolkit import DataScope, Model, ScopeThrough, TimestampMixin, custom_column

from .choices import (
    DELIVERY_STATE_LABELS,
    MESSAGE_KIND_LABELS,
    PRIORITY_LABELS,
    SLA_STATE_LABELS,
    TICKET_STATE_LABELS,
)
from .requests import CUSTOMER_ID


class Ticket(TimestampMixin, Model):
    """One piece of work on a request, with its state, assignee, team and due times."""

    __tablename__ = "service_ticket"
    # the assignee owns the ticket; the team's department is its department
    __data_scope__ = DataScope(kind="service.ticket", owner="assignee_id",
                               department="department_id")
    __table_args__ = (
        # the queues: by state, by assignee, by team (keyset on id), and the list's sorts
        Index("ix_service_ticket_state_id", "state", "id"),
        # the SLA sweep: open tickets not yet breached, by when they next need a look
        Index("ix_service_ticket_sla_sweep", "sla_state", "resolution_warn_at", "id"),
        Index("ix_service_ticket_assignee_state", "assignee_id", "state", "id"),
        Index("ix_service_ticket_team_state", "team_id", "state", "id"),
        Index("ix_service_ticket_assignee_id", "assignee_id", "id"),
        Index("ix_service_ticket_updated", "updated_at", "id"),
        Index("ix_service_ticket_created_at", "created_at"),  # analytics' recent days
        Index("ix_service_ticket_assignee_updated", "assignee_id", "updated_at", "id"),
        Index("ix_service_ticket_assignee_number", "assignee_id", "number", "id"),
    )
    __audit_label__ = _l("Ticket")
    __audit_labels__ = {
        "request_id": _l("Service request"), "number": _l("Number"),
        "customer_id": _l("Customer"), "subject": _l("Subject"), "state": _l("State"),
        "priority": _l("Priority"), "team_id": _l("Team"), "assignee_id": _l("Assignee"),
        "department_id": _l("Department"), "first_response_due": _l("First response due"),
        "resolution_due": _l("Resolution due"), "first_responded_at": _l("First response"),
        "first_response_warn_at": _l("First response warning"),
        "resolution_warn_at": _l("Resolution warning"),
        "resolved_at": _l("Resolved"), "closed_at": _l("Closed"), "sla_state": _l("SLA"),
        "paused_at": _l("Clock paused since"), "paused_minutes": _l("Paused (working minutes)"),
        "version": _l("Version")}
    __audit_choices__ = {"state": TICKET_STATE_LABELS, "priority": PRIORITY_LABELS,
                         "sla_state": SLA_STATE_LABELS}

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("service_request.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(48), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey(CUSTOMER_ID, ondelete="CASCADE"),
                                             index=True)
    subject: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(24), default="new", server_default="new")
    priority: Mapped[str] = mapped_column(String(10), default="normal", server_default="normal")
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_team.id", ondelete="SET NULL"))
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL"))
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_department.id", ondelete="SET NULL"), index=True)
    first_response_due: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    resolution_due: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: when 80 % of each target's working time has passed: the sweep warns then
    first_response_warn_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    resolution_warn_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    first_responded_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    sla_state: Mapped[str] = mapped_column(String(12), default="ok", server_default="ok")
    #: the SLA clocks stand still while the ticket waits on the customer (``sla.clocks``):
    #: since when, and the working minutes of the pauses that ended (its due times moved)
    paused_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    paused_minutes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # custom fields an administrator defines (kernel custom_fields; service migration)
    custom: Mapped[dict[str, Any] | None] = custom_column(
        "service.ticket", label=_l("Tickets"))

    __mapper_args__ = {"version_id_col": version}


class TicketMessage(TimestampMixin, Model):
    """A reply to the customer (sent by e-mail through the outbox) or an internal note."""

    __tablename__ = "service_ticket_message"
    __data_scope__ = ScopeThrough("ticket_id", Ticket, parent_deleted="deleted_at")
    __table_args__ = (Index("ix_service_ticket_message_ticket", "ticket_id", "id"),
                      # replies still on their way: the delivery sync (thread.sync)
                      Index("ix_service_ticket_message_delivery", "delivery_state", "id"))
    __audit_label__ = _l("Ticket message")
    __audit_labels__ = {"ticket_id": _l("Ticket"),
                        "kind": _l("Kind"), "body": _l("Message"), "author_id": _l("Author"),
                        "delivery_state": _l("Delivery"), "subject": _l("Subject"),
                        "outbox_message_id": _l("Outbox message")}
    __audit_choices__ = {"kind": MESSAGE_KIND_LABELS, "delivery_state": DELIVERY_STATE_LABELS}

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("service_ticket.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10), default="note", server_default="note")
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL"))
    delivery_state: Mapped[str] = mapped_column(String(12), default="none",
                                                server_default="none")
    #: a reply's mail subject, and its outbox row (no foreign key: the outbox deletes sent
    #: rows after its keep days, and a reply whose row is gone was sent; thread.delivery)
    subject: Mapped[str] = mapped_column(String(300), default="", server_default="")
    outbox_message_id: Mapped[int | None] = mapped_column(Integer)
