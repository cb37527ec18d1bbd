"""Satisfaction surveys (满意度调查) sent to the customer when a ticket is resolved, and the
internal service evaluations (服务评价) managers record per ticket.

A survey remembers whom it went to, in which language, until when it may be answered and
the answer (1–5 stars, whether the problem was resolved, a comment); ``answered_at`` set
means it was used (single use). A later resolution of the same ticket closes a survey still
open (its ``expires_at`` becomes the moment it was replaced) and sends a new one. Both rows
belong to their ticket for the data scope; ``team_id``, ``agent_id`` and ``department_id``
are the ticket's at the moment it was resolved, for the satisfaction figures.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.toolkit import Model, ScopeThrough, TimestampMixin

from .requests import CUSTOMER_ID
from .tickets import Ticket


class Survey(TimestampMixin, Model):
    """One satisfaction survey of a resolved ticket, and the customer's answer."""

    __tablename__ = "service_survey"
    __data_scope__ = ScopeThrough("ticket_id", Ticket, parent_deleted="deleted_at")
    __table_args__ = (
        # CSAT by month and per team / agent (keyset on id)
        Index("ix_service_survey_answered", "answered_at", "id"),
        Index("ix_service_survey_team_answered", "team_id", "answered_at", "id"),
        Index("ix_service_survey_agent_answered", "agent_id", "answered_at", "id"),
        Index("ix_service_survey_ticket", "ticket_id", "id"),
        Index("ix_service_survey_sent", "sent_at", "id"),
        CheckConstraint("stars IS NULL OR (stars >= 1 AND stars <= 5)",
                        name="stars"),
    )
    __audit_scope__ = ("ticket_id", "service_ticket")  # its log entries follow the ticket
    __audit_label__ = _l("Satisfaction survey")
    __audit_labels__ = {
        "ticket_id": _l("Ticket"), "team_id": _l("Team"), "agent_id": _l("Agent"),
        "customer_id": _l("Customer"), "department_id": _l("Department"),
        "sent_to": _l("Sent to"), "language": _l("Language"), "sent_at": _l("Sent"),
        "expires_at": _l("Open until"), "answered_at": _l("Answered"), "stars": _l("Stars"),
        "resolved": _l("Resolved for the customer"), "comment": _l("Comment"),
        "version": _l("Version")}

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("service_ticket.id", ondelete="CASCADE"))
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_team.id", ondelete="SET NULL"))
    agent_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL"))
    customer_id: Mapped[int] = mapped_column(ForeignKey(CUSTOMER_ID, ondelete="CASCADE"),
                                             index=True)
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_department.id", ondelete="SET NULL"), index=True)
    sent_to: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(8), default="zh_CN", server_default="zh_CN")
    sent_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    stars: Mapped[int | None] = mapped_column(SmallInteger)
    resolved: Mapped[bool | None] = mapped_column(Boolean)
    comment: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: two answers racing: the second one's write finds the row changed and is refused
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class Evaluation(TimestampMixin, Model):
    """A manager's internal evaluation of how a ticket was handled: 1–5 for the response's
    speed, the agent's professionalism and the result, and a comment. One per ticket."""

    __tablename__ = "service_evaluation"
    __data_scope__ = ScopeThrough("ticket_id", Ticket, parent_deleted="deleted_at")
    __table_args__ = (
        UniqueConstraint("ticket_id", name="uq_service_evaluation_ticket"),
        Index("ix_service_evaluation_agent", "agent_id", "id"),
        CheckConstraint("speed BETWEEN 1 AND 5 AND professionalism BETWEEN 1 AND 5 "
                        "AND result BETWEEN 1 AND 5", name="scores"),
    )
    __audit_scope__ = ("ticket_id", "service_ticket")
    __audit_label__ = _l("Service evaluation")
    __audit_labels__ = {
        "ticket_id": _l("Ticket"), "agent_id": _l("Agent"), "evaluator_id": _l("Evaluated by"),
        "speed": _l("Response speed"), "professionalism": _l("Professionalism"),
        "result": _l("Result"), "comment": _l("Comment")}

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("service_ticket.id", ondelete="CASCADE"))
    agent_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL"))
    evaluator_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL"))
    speed: Mapped[int] = mapped_column(SmallInteger)
    professionalism: Mapped[int] = mapped_column(SmallInteger)
    result: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str] = mapped_column(Text, default="", server_default="")
