"""Canned replies (常用回复): texts an agent starts a reply from, with merge fields such as
``{{ customer.name }}`` filled in when inserted (``thread.merge``). Every department's: kept
by holders of ``service.canned_reply.manage``, offered to every agent while active."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.toolkit import Model, TimestampMixin


class CannedReply(TimestampMixin, Model):
    """A reply text with merge fields, offered in the reply form while active."""

    __tablename__ = "service_canned_reply"
    __audit_label__ = _l("Canned reply")
    __audit_labels__ = {"title": _l("Title"), "body": _l("Text"), "is_active": _l("Active")}

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
