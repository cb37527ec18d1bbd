"""Kept aggregates of the service widgets: what the tickets attained and what the customers
said of them, per month.

Derived numbers (rebuilt from the records by ``crm service rebuild-aggregates``), kept in
the unit of work of every change by ORM flush hooks (``aggregates/tickets.py``,
``aggregates/surveys.py``). Not audited, not scoped models of their own: the widgets apply
the ticket scope to their department and assignee (or agent) (``aggregates/scope.py``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Date, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.toolkit import Model


class TicketMonthlyTotal(Model):
    """Per month (company time zone), team, department, assignee and priority: tickets
    resolved, met and missed (the stored ``sla_state``) in the month of ``resolved_at``;
    first responses and their working minutes in the month of ``first_responded_at``;
    resolutions and their working minutes (pauses taken off) in the month of
    ``resolved_at``."""

    __tablename__ = "service_ticket_monthly_total"
    __audit__ = False  # derived numbers (rebuilt from the tickets), not business data
    __table_args__ = (UniqueConstraint("month", "team_id", "department_id", "assignee_id",
                                       "priority", name="uq_service_ticket_monthly_total"),
                      Index("ix_service_ticket_monthly_total_department", "department_id",
                            "month"),
                      Index("ix_service_ticket_monthly_total_assignee", "assignee_id",
                            "month"))

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[dt.date] = mapped_column(Date)
    team_id: Mapped[int | None] = mapped_column(Integer)
    department_id: Mapped[int | None] = mapped_column(Integer)
    assignee_id: Mapped[int | None] = mapped_column(Integer)
    priority: Mapped[str] = mapped_column(String(10))
    resolved_count: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    met_count: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    missed_count: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    response_count: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    response_minutes: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    resolution_count: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    resolution_minutes: Mapped[int] = mapped_column(BigInteger, default=0,
                                                    server_default="0")


class SurveyMonthlyTotal(Model):
    """Per month of the answer (company time zone), team, department and agent: the
    answered satisfaction surveys, their stars and how many gave 4 or 5 stars (CSAT)."""

    __tablename__ = "service_survey_monthly_total"
    __audit__ = False  # derived numbers (rebuilt from the surveys), not business data
    __table_args__ = (UniqueConstraint("month", "team_id", "department_id", "agent_id",
                                       name="uq_service_survey_monthly_total"),
                      Index("ix_service_survey_monthly_total_department", "department_id",
                            "month"),
                      Index("ix_service_survey_monthly_total_agent", "agent_id", "month"))

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[dt.date] = mapped_column(Date)
    team_id: Mapped[int | None] = mapped_column(Integer)
    department_id: Mapped[int | None] = mapped_column(Integer)
    agent_id: Mapped[int | None] = mapped_column(Integer)
    answered_count: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    stars_sum: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    satisfied_count: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class OpenTicketTotal(Model):
    """The open tickets (not in the trash) per day they came in (company time zone), team,
    department, assignee, priority and state: the open-tickets, workload and backlog-age
    widgets read it, never the tickets."""

    __tablename__ = "service_open_ticket_total"
    __audit__ = False  # derived numbers (rebuilt from the tickets), not business data
    __table_args__ = (UniqueConstraint("created_on", "team_id", "department_id", "assignee_id",
                                       "priority", "state",
                                       name="uq_service_open_ticket_total"),
                      Index("ix_service_open_ticket_total_department", "department_id"),
                      Index("ix_service_open_ticket_total_assignee", "assignee_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    created_on: Mapped[dt.date] = mapped_column(Date)
    team_id: Mapped[int | None] = mapped_column(Integer)
    department_id: Mapped[int | None] = mapped_column(Integer)
    assignee_id: Mapped[int | None] = mapped_column(Integer)
    priority: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(24))
    count: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


SURVEY_COUNTERS = ("answered_count", "stars_sum", "satisfied_count")
COUNTERS = ("resolved_count", "met_count", "missed_count", "response_count",
            "response_minutes", "resolution_count", "resolution_minutes")
