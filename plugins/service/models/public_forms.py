"""Public request forms (公开服务表单): one per company or site, each with its own address
``/service/form/<key>``, the team its requests go to, their default type and priority, and
the sites allowed to embed it in a frame. Every department's setting (no data scope), kept by
holders of ``service.team.manage``."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.toolkit import Model, TimestampMixin

from .choices import PRIORITY_LABELS, REQUEST_TYPE_LABELS


class PublicForm(TimestampMixin, Model):
    """A public web form customers submit requests through, without signing in."""

    __tablename__ = "service_public_form"
    __audit_label__ = _l("Public form")
    __audit_labels__ = {"name": _l("Name"), "key": _l("Address key"),
                        "team_id": _l("Team"), "default_type": _l("Default type"),
                        "default_priority": _l("Default priority"),
                        "frame_origins": _l("Sites that may embed it"),
                        "is_active": _l("Active"), "intro": _l("Introduction")}
    __audit_choices__ = {"default_type": REQUEST_TYPE_LABELS,
                         "default_priority": PRIORITY_LABELS}

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    #: the last part of the form's address: lower-case letters, digits and dashes
    key: Mapped[str] = mapped_column(String(60), unique=True)
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_team.id", ondelete="SET NULL"), index=True)
    default_type: Mapped[str] = mapped_column(String(20), default="inquiry",
                                              server_default="inquiry")
    default_priority: Mapped[str] = mapped_column(String(10), default="normal",
                                                  server_default="normal")
    #: origins (``https://shop.example.com``) separated by spaces or lines; empty: any site
    frame_origins: Mapped[str] = mapped_column(Text, default="", server_default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    intro: Mapped[str] = mapped_column(Text, default="", server_default="")
