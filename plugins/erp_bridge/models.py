"""The ERP bridge's tables (prefix ``erp_bridge_``): connections with their sealed
credentials, the seen-message table of the inbound webhook replay guard, the external id
mapping (a CRM record ↔ its ERP record, per connection and object) and the pull cursors.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.toolkit import Model, TimestampMixin, utcnow

KINDS = ("odoo", "webhook")
KIND_LABELS = {"odoo": _l("Odoo"), "webhook": _l("Signed webhooks")}
TRANSPORT_CHOICES = ("auto", "json2", "xmlrpc", "jsonrpc")
TRANSPORT_LABELS = {"auto": _l("By the ERP's version"), "json2": _l("JSON-2 (Odoo 19+)"),
                    "xmlrpc": _l("XML-RPC (Odoo 16–18)"), "jsonrpc": _l("JSON-RPC")}
STATES = ("active", "stopped")
STATE_LABELS = {"active": _l("Active"), "stopped": _l("Stopped")}


class ErpConnection(TimestampMixin, Model):
    """One ERP: an Odoo database, or a system that sends and takes signed webhooks.

    ``credentials`` is the sealed API key (Odoo) or ``whsec_`` secret (webhook): never shown,
    never sent back by a form, masked in the operation log. ``state`` is ``stopped`` with a
    ``stopped_reason`` after the ERP refused the credentials, until an administrator enters
    new ones or starts it again.
    """

    __tablename__ = "erp_bridge_connection"
    __audit_sensitive__ = ("credentials",)
    __audit_labels__ = {"name": _l("Name"), "kind": _l("Kind"), "url": _l("Address"),
                        "database": _l("Database"), "login": _l("Login"),
                        "credentials": _l("Credentials"), "key_expires_on": _l("Key expires on"),
                        "transport": _l("Transport"), "state": _l("State"),
                        "stopped_reason": _l("Why it stopped"),
                        "erp_version": _l("ERP version"), "held": _l("Held"),
                        "held_since": _l("Held since"),
                        "key_warned_on": _l("Key expiry last warned on")}
    __audit_choices__ = {"kind": KIND_LABELS, "transport": TRANSPORT_LABELS,
                         "state": STATE_LABELS}

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    url: Mapped[str] = mapped_column(String(300), default="")
    database: Mapped[str] = mapped_column(String(100), default="")
    login: Mapped[str] = mapped_column(String(100), default="")
    credentials: Mapped[str] = mapped_column(Text, default="")
    key_expires_on: Mapped[dt.date | None] = mapped_column(Date)
    transport: Mapped[str] = mapped_column(String(10), default="auto")
    state: Mapped[str] = mapped_column(String(10), default="active")
    stopped_reason: Mapped[str] = mapped_column(String(500), default="")
    erp_version: Mapped[str] = mapped_column(String(40), default="")
    #: Paused by an administrator: nothing goes to or comes from the ERP (the outbox keeps
    #: the messages) until released. Apart from ``state``: a hold is a choice, a stop a
    #: refusal.
    held: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    held_since: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: The day administrators were last told the API key is about to lapse (one notice a
    #: day at most).
    key_warned_on: Mapped[dt.date | None] = mapped_column(Date)


class ErpSeenWebhook(Model):
    """A ``webhook-id`` a connection's inbound endpoint has taken (the replay guard)."""

    __tablename__ = "erp_bridge_seen_webhook"
    __audit__ = False
    __table_args__ = (UniqueConstraint("connection_id", "webhook_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("erp_bridge_connection.id", ondelete="CASCADE"))
    webhook_id: Mapped[str] = mapped_column(String(200))
    seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 index=True)


class ErpExternalId(Model):
    """Which ERP record a CRM record is, per connection and object (``customer``…).

    ``ref`` is the external reference written on the ERP record (``crm-customer-<id>``) and
    searched before any create, so a retried create finds the record a lost try made.
    ``erp_id`` is empty until the ERP has answered; ``error`` holds the ERP's last refusal.
    """

    __tablename__ = "erp_bridge_external_id"
    __audit__ = False
    __table_args__ = (UniqueConstraint("connection_id", "object", "crm_id"),
                      Index("ix_erp_bridge_external_id_connection_id_object_erp_id",
                            "connection_id", "object", "erp_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("erp_bridge_connection.id", ondelete="CASCADE"))
    object: Mapped[str] = mapped_column(String(20))
    crm_id: Mapped[int] = mapped_column(Integer)
    erp_id: Mapped[int | None] = mapped_column(Integer)
    ref: Mapped[str] = mapped_column(String(100), default="")
    error: Mapped[str] = mapped_column(String(500), default="")
    synced_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: The record's number in the ERP (an order's ``S00012``), for the order's page.
    erp_number: Mapped[str] = mapped_column(String(64), default="", server_default="")
    #: The ERP's state of the record (an order's invoice ``payment_state``: ``paid``…).
    erp_state: Mapped[str] = mapped_column(String(40), default="", server_default="")
    #: When the reconciliation found the ERP record gone (None: it exists).
    deleted_in_erp_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ErpSyncCursor(Model):
    """Where the incremental pull of one object from one connection stands: the JSON cursor
    ``[write_date, id]`` after the last page taken, so a pull resumes where it stopped."""

    __tablename__ = "erp_bridge_sync_cursor"
    __audit__ = False
    __table_args__ = (UniqueConstraint("connection_id", "object"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("erp_bridge_connection.id", ondelete="CASCADE"))
    object: Mapped[str] = mapped_column(String(20))
    cursor: Mapped[str] = mapped_column(String(100), default="")
    pulled: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    pulled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: Set while a pull or push of this object runs (the guard against two at once).
    running_since: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: Records pushed by ``crm erp sync`` (the sync log's count; the outbox counts the rest).
    pushed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


MODELS = (ErpConnection, ErpSeenWebhook, ErpExternalId, ErpSyncCursor)
