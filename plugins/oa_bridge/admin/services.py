"""The writes behind the OA bridge's administration pages: user links, approval mappings
and group robots (with the notification kinds they post). Each takes plain values and a
session, flushes (the caller commits; the operation log records the row changes) and raises
:class:`FieldRefused` naming the form field at fault.
"""

from __future__ import annotations

import json
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_core.toolkit import DomainError, hooks, model_for_table, unseal

from ..approvals.mapping import VALUES
from ..models import KINDS, OaConnection, OaProcess, OaRobot, OaRobotRoute, OaUserLink
from ..notices.robots import save_robot


class FieldRefused(DomainError):
    """A refused value; ``field`` names the form field (None: the whole form)."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field


def _connection(session: Session, connection_id: Any) -> OaConnection:
    connection = session.get(OaConnection, connection_id) if isinstance(connection_id, int) \
        else None
    if connection is None:
        raise FieldRefused("connection_id", _("Choose a connection from the list."))
    return connection


def save_link(session: Session, link: OaUserLink | None, connection_id: int, username: str,
              oa_user_id: str, oa_dept_id: str = "", mobile: str = "") -> OaUserLink:
    """Create or change the link of a CRM user (by user name) to their OA user id; a user
    or an OA id already linked on that connection is refused."""
    connection = _connection(session, connection_id)
    user_model = model_for_table("core_user")
    user = session.scalar(select(user_model).where(
        func.lower(user_model.username) == (username or "").strip().lower()))
    if user is None:
        raise FieldRefused("username", _("There is no user named “%(name)s”.", name=username))
    oa_user_id = (oa_user_id or "").strip()
    if not oa_user_id or len(oa_user_id) > 100 or not oa_user_id.isprintable():
        raise FieldRefused("oa_user_id", _("Enter the user's id in the OA (at most 100 "
                                           "characters)."))
    own = OaUserLink.id != link.id if link is not None else True
    if session.scalar(select(OaUserLink.id).where(
            OaUserLink.connection_id == connection.id, OaUserLink.user_id == user.id, own)):
        raise FieldRefused("username", _("This user is already linked on this connection."))
    if session.scalar(select(OaUserLink.id).where(
            OaUserLink.connection_id == connection.id, OaUserLink.oa_user_id == oa_user_id,
            own)):
        raise FieldRefused("oa_user_id", _("Another user is linked to this OA user id."))
    if link is None:
        link = OaUserLink(connection_id=connection.id, user_id=user.id, other_dept_ids="")
        session.add(link)
    link.connection_id, link.user_id, link.oa_user_id = connection.id, user.id, oa_user_id
    link.oa_dept_id = (oa_dept_id or "").strip()[:100]
    link.mobile = (mobile or "").strip()[:30]
    session.flush()
    return link


def parse_field_map(text: str) -> dict[str, str]:
    """``OA form field = value`` lines into a field map; the value one of ``VALUES``."""
    found: dict[str, str] = {}
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        name, sep, value = line.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name or len(name) > 100 or value not in VALUES:
            raise FieldRefused("field_map", _("Write each line as: OA form field = one of "
                                              "%(values)s.", values=", ".join(VALUES)))
        found[name] = value
    return found


def save_process(session: Session, process: OaProcess | None, connection_id: int,
                 definition_id: int, process_code: str, field_map: dict[str, str]
                 ) -> OaProcess:
    """Decide the approvals of an approval definition in an OA process (one mapping per
    definition)."""
    connection = _connection(session, connection_id)
    definition = session.get(model_for_table("core_approval_definition"), definition_id) \
        if isinstance(definition_id, int) else None
    if definition is None:
        raise FieldRefused("definition_id", _("Choose an approval definition."))
    process_code = (process_code or "").strip()
    if not process_code or len(process_code) > 200 or not process_code.isprintable():
        raise FieldRefused("process_code", _("Enter the OA process code (at most 200 "
                                             "characters)."))
    own = OaProcess.id != process.id if process is not None else True
    if session.scalar(select(OaProcess.id).where(OaProcess.definition_id == definition.id,
                                                 own)):
        raise FieldRefused("definition_id", _("This definition is already mapped."))
    if process is None:
        process = OaProcess(definition_id=definition.id)
        session.add(process)
    process.definition_id, process.connection_id = definition.id, connection.id
    process.process_code = process_code
    process.field_map = json.dumps(field_map, ensure_ascii=False)
    session.flush()
    return process


def notification_kinds() -> dict[str, str]:
    """``{name: label}`` of every notification kind the running app declares."""
    found: dict[str, str] = {}
    for answer in hooks().crm_notification_kinds():
        for kind in answer or ():
            found[kind.name] = str(kind.label)
    return dict(sorted(found.items()))


def robot_routes(session: Session, robot: OaRobot) -> list[str]:
    """The notification kinds ``robot`` posts."""
    return list(session.scalars(select(OaRobotRoute.notification_kind).where(
        OaRobotRoute.robot_id == robot.id).order_by(OaRobotRoute.notification_kind)))


def save_robot_page(session: Session, robot: OaRobot | None, name: str, kind: str,
                    webhook: str, secret: str, active: bool, kinds: list[str]) -> OaRobot:
    """Create or change a robot and set the kinds it posts. On a change an empty webhook or
    secret keeps the stored one."""
    name = (name or "").strip()
    if not name or len(name) > 40 or not name.isprintable():
        raise FieldRefused("name", _("A robot needs a name of at most 40 characters."))
    if kind not in KINDS:
        raise FieldRefused("kind", _("Choose DingTalk, WeCom or Feishu."))
    taken = select(OaRobot.id).where(OaRobot.name == name)
    if robot is not None:
        taken = taken.where(OaRobot.id != robot.id)
    if session.scalar(taken) is not None:
        raise FieldRefused("name", _("Another robot has this name."))
    unknown = set(kinds) - set(notification_kinds())
    if unknown:
        raise FieldRefused("kinds", _("Choose notification kinds from the list."))
    stored = json.loads(unseal(robot.secrets)) if robot is not None and robot.secrets else {}
    webhook = (webhook or "").strip() or stored.get("webhook", "")
    secret = (secret or "").strip() or stored.get("secret", "")
    if robot is not None:
        robot.name = name  # save_robot finds it by its (new) name
    try:
        saved = save_robot(session, name, kind, webhook, secret)
    except DomainError as refused:
        raise FieldRefused("webhook", str(refused)) from None
    saved.active = bool(active)
    current = {route.notification_kind: route for route in session.scalars(
        select(OaRobotRoute).where(OaRobotRoute.robot_id == saved.id))}
    for gone in set(current) - set(kinds):
        session.delete(current[gone])
    for new in sorted(set(kinds) - set(current)):
        session.add(OaRobotRoute(robot_id=saved.id, notification_kind=new))
    session.flush()
    return saved


def robot_webhook_hint(robot: OaRobot) -> str:
    """Where the robot posts, without its key or token (``…`` in their place)."""
    from ..protocol.robots import redact_url

    opened = json.loads(unseal(robot.secrets)) if robot.secrets else {}
    return redact_url(str(opened.get("webhook", "")))

