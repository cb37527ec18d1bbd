"""SLA policies: first-response and resolution targets in working minutes, by priority and,
optionally, request type and customer level (empty = any). The most specific active policy
applies; the migration installs the issue's defaults per priority."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.toolkit import Model, TimestampMixin

from .choices import PRIORITY_LABELS, REQUEST_TYPE_LABELS


class SlaPolicy(TimestampMixin, Model):
    """Targets for tickets of a priority (and, when set, a request type and customer level)."""

    __tablename__ = "service_sla_policy"
    __table_args__ = (UniqueConstraint("priority", "request_type", "customer_level",
                                       name="uq_service_sla_policy_match"),)
    __audit_label__ = _l("SLA policy")
    __audit_labels__ = {"name": _l("Name"), "priority": _l("Priority"),
                        "request_type": _l("Request type"),
                        "customer_level": _l("Customer level"),
                        "first_response_minutes": _l("First response (working minutes)"),
                        "resolution_minutes": _l("Resolution (working minutes)"),
                        "is_active": _l("Active")}
    __audit_choices__ = {"priority": PRIORITY_LABELS, "request_type": REQUEST_TYPE_LABELS}

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    priority: Mapped[str] = mapped_column(String(10))
    request_type: Mapped[str] = mapped_column(String(20), default="", server_default="")
    customer_level: Mapped[str] = mapped_column(String(20), default="", server_default="")
    first_response_minutes: Mapped[int] = mapped_column(Integer)
    resolution_minutes: Mapped[int] = mapped_column(Integer)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
