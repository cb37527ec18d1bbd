"""The OA bridge's tables (prefix ``oa_bridge_``): connections with their encrypted
credentials, the shared access-token cache, the seen-event table of the callback replay guard,
the approval mappings, user links and the OA instances started for kernel approvals.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.toolkit import Model, TimestampMixin, utcnow

KINDS = ("dingtalk", "wecom", "feishu")
KIND_LABELS = {"dingtalk": _l("DingTalk"), "wecom": _l("WeCom"), "feishu": _l("Feishu")}


class OaConnection(TimestampMixin, Model):
    """One OA app: its ids in the clear, its secrets encrypted (``connections.secrets``).

    ``secrets`` holds a Fernet token of a JSON object: the app secret and, per vendor, the
    callback token and AES key (DingTalk, WeCom) or the encrypt key and verification token
    (Feishu). It is never shown, never sent back by a form and masked in the operation log.
    """

    __tablename__ = "oa_bridge_connection"
    __audit_sensitive__ = ("secrets",)
    __audit_labels__ = {"name": _l("Name"), "kind": _l("OA system"), "app_key": _l("App key"),
                        "corp_id": _l("Corp id"), "agent_id": _l("Agent id"),
                        "base_url": _l("Base URL"), "active": _l("Active"),
                        "secrets": _l("Credentials"), "signin": _l("Sign-in on the login page")}
    __audit_choices__ = {"kind": KIND_LABELS}

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    app_key: Mapped[str] = mapped_column(String(100), default="")
    corp_id: Mapped[str] = mapped_column(String(100), default="")
    agent_id: Mapped[str] = mapped_column(String(40), default="")
    base_url: Mapped[str] = mapped_column(String(300), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    secrets: Mapped[str] = mapped_column(Text, default="")
    #: "Sign in with …" is offered on the login page (and its routes answer) only when set.
    signin: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")


class OaToken(Model):
    """The cached access token of a connection, shared by every process (encrypted)."""

    __tablename__ = "oa_bridge_token"
    __audit__ = False

    connection_id: Mapped[int] = mapped_column(
        ForeignKey("oa_bridge_connection.id", ondelete="CASCADE"), primary_key=True)
    token: Mapped[str] = mapped_column(Text, default="")
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    refreshed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class OaSeenEvent(Model):
    """An event id a connection's callback has already taken (the replay guard)."""

    __tablename__ = "oa_bridge_seen_event"
    __audit__ = False
    __table_args__ = (UniqueConstraint("connection_id", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("oa_bridge_connection.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(200))
    seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 index=True)


class OaProcess(TimestampMixin, Model):
    """A kernel approval definition decided in the OA: its process and form field mapping.

    ``process_code`` is the DingTalk processCode, WeCom template_id or Feishu approval_code;
    ``field_map`` a JSON object ``{OA form field: approval value}`` where the value is one of
    ``title``, ``details``, ``amount``, ``subject_id``, ``approval_id`` (see docs/oa_bridge.md).
    """

    __tablename__ = "oa_bridge_process"
    __audit_labels__ = {"definition_id": _l("Approval definition"),
                        "connection_id": _l("Connection"), "process_code": _l("OA process"),
                        "field_map": _l("Field mapping")}

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(
        ForeignKey("core_approval_definition.id", ondelete="CASCADE"), unique=True)
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("oa_bridge_connection.id", ondelete="CASCADE"), index=True)
    process_code: Mapped[str] = mapped_column(String(200))
    field_map: Mapped[str] = mapped_column(Text, default="{}")


class OaUserLink(Model):
    """A kernel user's identity in one OA (DingTalk userid, WeCom userid, Feishu user_id)."""

    __tablename__ = "oa_bridge_user_link"
    __table_args__ = (UniqueConstraint("connection_id", "user_id"),
                      UniqueConstraint("connection_id", "oa_user_id"))
    __audit_labels__ = {"connection_id": _l("Connection"), "user_id": _l("User"),
                        "oa_user_id": _l("OA user id"), "oa_dept_id": _l("OA department id"),
                        "mobile": _l("Mobile"), "other_dept_ids": _l("Other OA departments")}

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("oa_bridge_connection.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"),
                                         index=True)
    oa_user_id: Mapped[str] = mapped_column(String(100))
    oa_dept_id: Mapped[str] = mapped_column(String(100), default="")
    mobile: Mapped[str] = mapped_column(String(30), default="")
    #: The OA departments besides the primary one (``oa_dept_id``), comma-separated; the
    #: kernel user belongs to the primary one only.
    other_dept_ids: Mapped[str] = mapped_column(Text, default="", server_default="")


class OaInstance(TimestampMixin, Model):
    """The OA instance started for one kernel approval; ``status`` is ``sending`` until the
    OA answers with its id, then ``open``, then ``decided`` (or ``failed``)."""

    __tablename__ = "oa_bridge_instance"
    __table_args__ = (Index("ix_oa_bridge_instance_oa", "connection_id", "instance_id",
                            unique=True),)
    __audit_labels__ = {"approval_id": _l("Approval"), "connection_id": _l("Connection"),
                        "instance_id": _l("OA instance"), "status": _l("Status"),
                        "error": _l("Error")}

    id: Mapped[int] = mapped_column(primary_key=True)
    approval_id: Mapped[int] = mapped_column(
        ForeignKey("core_approval.id", ondelete="CASCADE"), unique=True)
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("oa_bridge_connection.id", ondelete="CASCADE"))
    instance_id: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="sending")
    error: Mapped[str] = mapped_column(String(500), default="")


class OaDeptLink(Model):
    """A kernel department kept in step with one OA department by the org sync."""

    __tablename__ = "oa_bridge_dept_link"
    __table_args__ = (UniqueConstraint("connection_id", "oa_dept_id"),
                      UniqueConstraint("connection_id", "department_id"))
    __audit_labels__ = {"connection_id": _l("Connection"), "department_id": _l("Department"),
                        "oa_dept_id": _l("OA department id")}

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("oa_bridge_connection.id", ondelete="CASCADE"))
    department_id: Mapped[int] = mapped_column(
        ForeignKey("core_department.id", ondelete="CASCADE"), index=True)
    oa_dept_id: Mapped[str] = mapped_column(String(100))


class OaRobot(TimestampMixin, Model):
    """A group robot: its webhook (URL or WeCom key) and signing secret, sealed together in
    ``secrets``; notification kinds are routed to it by ``OaRobotRoute``."""

    __tablename__ = "oa_bridge_robot"
    __audit_sensitive__ = ("secrets",)
    __audit_labels__ = {"name": _l("Name"), "kind": _l("OA system"), "active": _l("Active"),
                        "secrets": _l("Credentials")}
    __audit_choices__ = {"kind": KIND_LABELS}

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    secrets: Mapped[str] = mapped_column(Text, default="")


class OaRobotRoute(Model):
    """Notifications of ``notification_kind`` are also posted by the robot."""

    __tablename__ = "oa_bridge_robot_route"
    __table_args__ = (UniqueConstraint("robot_id", "notification_kind"),)
    __audit_labels__ = {"robot_id": _l("Robot"), "notification_kind": _l("Notification kind")}

    id: Mapped[int] = mapped_column(primary_key=True)
    robot_id: Mapped[int] = mapped_column(ForeignKey("oa_bridge_robot.id", ondelete="CASCADE"))
    notification_kind: Mapped[str] = mapped_column(String(80), index=True)


MODELS = (OaConnection, OaToken, OaSeenEvent, OaProcess, OaUserLink, OaInstance, OaDeptLink,
          OaRobot, OaRobotRoute)
