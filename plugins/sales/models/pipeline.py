"""Pipelines and their ordered stages, which an administrator edits.

A stage's ``kind`` says whether an opportunity in it is still open, won or lost; its
``probability`` is the default an opportunity takes on entering it; ``required_fields`` names
the opportunity fields that must be filled before one may enter it; ``rot_days`` is how long an
opportunity may sit in it before the kanban marks it stale.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.toolkit import Model, TimestampMixin

STAGE_KINDS = ("open", "won", "lost")
STAGE_KIND_LABELS = {"open": _l("Open"), "won": _l("Won"), "lost": _l("Lost")}


class Pipeline(TimestampMixin, Model):
    """A sales process (new business, renewals, projects...) with its own stages."""

    __tablename__ = "sales_pipeline"
    __audit_label__ = _l("Pipeline")
    __audit_labels__ = {"name": _l("Name"), "is_default": _l("Default"),
                        "position": _l("Position"), "active": _l("Active")}

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(String(500), default="", server_default="")
    is_default: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Stage(TimestampMixin, Model):
    """One column of a pipeline's kanban."""

    __tablename__ = "sales_stage"
    __table_args__ = (Index("ix_sales_stage_pipeline_position", "pipeline_id", "position"),)
    __audit_label__ = _l("Stage")
    __audit_labels__ = {"name": _l("Name"), "pipeline_id": _l("Pipeline"),
                        "position": _l("Position"), "probability": _l("Probability"),
                        "kind": _l("Kind"), "required_fields": _l("Required fields"),
                        "rot_days": _l("Stale after (days)")}
    __audit_choices__ = {"kind": STAGE_KIND_LABELS}

    id: Mapped[int] = mapped_column(primary_key=True)
    pipeline_id: Mapped[int] = mapped_column(
        ForeignKey("sales_pipeline.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    probability: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    kind: Mapped[str] = mapped_column(String(8), default="open", server_default="open")
    required_fields: Mapped[list[Any]] = mapped_column(JSON, default=list)
    rot_days: Mapped[int | None] = mapped_column(Integer)
