"""Service teams (服务组) and their members. A team maps to a department: its tickets belong
to that department, so the department's people see them (data scope ``service.ticket``)."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.toolkit import Model, TimestampMixin

from .choices import ASSIGNMENT_MODE_LABELS


class Team(TimestampMixin, Model):
    """A group of service agents of one department, with a lead and an assignment mode."""

    __tablename__ = "service_team"
    __audit_label__ = _l("Service team")
    __audit_labels__ = {"name": _l("Name"), "department_id": _l("Department"),
                        "lead_id": _l("Team lead"), "assignment_mode": _l("Assignment"),
                        "is_active": _l("Active")}
    __audit_choices__ = {"assignment_mode": ASSIGNMENT_MODE_LABELS}

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    department_id: Mapped[int] = mapped_column(
        ForeignKey("core_department.id", ondelete="CASCADE"), index=True)
    lead_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL"), index=True)
    #: manual (the lead assigns), round_robin or least_open (assignment.services)
    assignment_mode: Mapped[str] = mapped_column(String(20), default="manual",
                                                 server_default="manual")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")


class TeamMember(Model):
    """A user's membership of a team; ``available`` members take automatic assignments."""

    __tablename__ = "service_team_member"
    __table_args__ = (UniqueConstraint("team_id", "user_id",
                                       name="uq_service_team_member_team_user"),)
    __audit_label__ = _l("Team member")
    __audit_labels__ = {"last_assigned_at": _l("Last assigned"),
                        "team_id": _l("Team"), "user_id": _l("User"),
                        "available": _l("Available")}

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("service_team.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"),
                                         index=True)
    available: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    #: when the member last got a ticket automatically (round robin takes the longest idle)
    last_assigned_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
