"""Group robots: administrators add a robot (``crm oa robot``) and route notification kinds to
it (``crm oa route``: "won deals to the sales group"). Each ``toolkit.notify`` of a routed kind
posts one text message to the group (``crm_notification_sent``), through the outbox channel
``oa_bridge.robot``: DingTalk signed with the ms timestamp, Feishu with the s timestamp in the
body, WeCom by the key in its webhook URL (``protocol/robots.py`` signs). The webhook and its
secret are sealed together in ``secrets`` and never logged: URLs go through ``redact_url``.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import httpx
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import (
    DomainError,
    OutboxChannel,
    OutboxDelivery,
    get_session,
    outbox,
    record_event,
    seal,
    unseal,
)

from ..models import KINDS, OaRobot, OaRobotRoute
from ..protocol.api_errors import Unavailable, VendorError, check_answer
from ..protocol.robots import dingtalk_robot_url, feishu_bot_body, redact_url, wecom_robot_url
from ..tokens.client import TIMEOUT
from .channels import message_text

log = logging.getLogger(__name__)
CHANNEL = "oa_bridge.robot"


def save_robot(session: Session, name: str, kind: str, webhook: str, secret: str = "",
               base_url: str = "") -> OaRobot:
    """Add the robot ``name`` or change it. ``webhook`` is the DingTalk or Feishu webhook URL,
    or the WeCom robot key; ``secret`` the signing secret (DingTalk "加签", Feishu "签名校验")."""
    name, webhook = name.strip(), webhook.strip()
    if kind not in KINDS:
        raise DomainError(_("Choose DingTalk, WeCom or Feishu."))
    if not name or len(name) > 40:
        raise DomainError(_("A robot needs a name of at most 40 characters."))
    if kind == "wecom" and not webhook.startswith("http"):
        webhook = wecom_robot_url(webhook, **({"base_url": base_url} if base_url else {}))
    if not webhook.startswith(("https://", "http://")):
        raise DomainError(_("Enter the robot's webhook address (or the WeCom robot key)."))
    robot = session.scalar(select(OaRobot).where(OaRobot.name == name))
    if robot is None:
        robot = OaRobot(name=name)
        session.add(robot)
    robot.kind, robot.active = kind, True
    robot.secrets = seal(json.dumps({"webhook": webhook, "secret": secret.strip()}))
    session.flush()
    return robot


def route(session: Session, robot_name: str, notification_kind: str,
          remove: bool = False) -> None:
    """Post notifications of ``notification_kind`` with the robot (``remove``: stop)."""
    robot = session.scalar(select(OaRobot).where(OaRobot.name == robot_name))
    if robot is None:
        raise DomainError(_("There is no robot named “%(name)s”.", name=robot_name))
    row = session.scalar(select(OaRobotRoute).where(
        OaRobotRoute.robot_id == robot.id, OaRobotRoute.notification_kind == notification_kind))
    if remove and row is not None:
        session.delete(row)
    elif not remove and row is None:
        session.add(OaRobotRoute(robot_id=robot.id, notification_kind=notification_kind))
    session.flush()


def notification_sent(kind: str, title: str, body: str, session: Session) -> None:
    """Queue one post per robot the kind is routed to (the hook's body)."""
    robots = session.scalars(select(OaRobot.id).join(
        OaRobotRoute, OaRobotRoute.robot_id == OaRobot.id).where(
        OaRobotRoute.notification_kind == kind, OaRobot.active.is_(True))).all()
    text = message_text(title, body, "")
    for robot_id in robots:
        outbox.enqueue(CHANNEL, {"robot": robot_id, "text": text}, session=session)


def post(robot: OaRobot, text: str, http: httpx.Client, now: float | None = None) -> None:
    """Post ``text`` to the robot's group, signed as its vendor wants."""
    opened = json.loads(unseal(robot.secrets))
    webhook, secret = opened["webhook"], opened.get("secret") or None
    now = time.time() if now is None else now
    message: dict[str, Any]
    if robot.kind == "dingtalk":
        url = dingtalk_robot_url(webhook, secret, timestamp_ms=int(now * 1000))
        message = {"msgtype": "text", "text": {"content": text}}
    elif robot.kind == "feishu":
        url = webhook
        message = feishu_bot_body({"msg_type": "text", "content": {"text": text}}, secret,
                                  timestamp_s=int(now))
    else:
        url, message = webhook, {"msgtype": "text", "text": {"content": text}}
    try:
        response = http.post(url, json=message)
    except httpx.HTTPError as failed:
        raise Unavailable(f"{type(failed).__name__} posting to {redact_url(url)}") from None
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if isinstance(answer, dict) and "StatusCode" in answer and "code" not in answer:
        answer = {"code": answer["StatusCode"], "msg": answer.get("StatusMessage")}
    check_answer(response.status_code, answer, response.headers)


def deliver(payload: dict[str, Any], message: OutboxDelivery) -> None:
    """Post one robot message (the outbox channel's ``deliver``)."""
    session = get_session()
    robot = session.get(OaRobot, int(payload["robot"]))
    if robot is None or not robot.active:
        return
    try:
        with httpx.Client(timeout=TIMEOUT) as http:
            post(robot, str(payload["text"]), http)
    except VendorError as refused:
        if refused.retryable:
            raise
        record_event("oa_robot_failed",
                     _l("Robot %(name)s was refused: %(error)s", name=robot.name,
                        error=str(refused)[:200]),
                     model=OaRobot, record_id=robot.id, user="system")
        session.commit()


def outbox_channels() -> list[OutboxChannel]:
    """The channel that posts robot messages."""
    return [OutboxChannel(CHANNEL, deliver,
                          summary=lambda payload: f"OA robot {payload.get('robot')}")]
