"""The OA bridge's records in the security walk's world (no tests here): one connection (with
sign-in on the login page), a user link, an approval mapping and a group robot — every
department's settings (only holders of ``oa_bridge.connection.manage`` reach them)."""

from __future__ import annotations

from typing import Any

#: A valid EncodingAESKey (43 characters) for the walk's connection.
AES_KEY = "4g5j64qlyl3zvetqxz5jiocdr586fn2zvjpa8zls3ij"


def oa_records(session: Any) -> dict[str, Any]:
    """A DingTalk connection named ``walk``; ``{}`` when the plugin is not enabled."""
    from crm_core.toolkit import plugin_enabled

    if not plugin_enabled("oa_bridge"):
        return {}
    from plugins.oa_bridge.connections.services import save_connection

    connection = save_connection(session, {
        "name": "walk", "kind": "dingtalk", "app_key": "walk-app", "app_secret": "walk-secret",
        "token": "walk-token", "aes_key": AES_KEY, "signin": True})
    return {"oa_connection_id": connection.id, **_admin_records(session, connection)}


def _admin_records(session: Any, connection: Any) -> dict[str, Any]:
    """A user link, an approval mapping and a group robot (the administration pages)."""
    from sqlalchemy import select

    from crm_core.toolkit import model_for_table
    from plugins.oa_bridge.models import OaProcess, OaRobotRoute, OaUserLink
    from plugins.oa_bridge.notices.robots import save_robot

    user = model_for_table("core_user")
    definitions = model_for_table("core_approval_definition")
    user_id = session.scalar(select(user.id).order_by(user.id).limit(1))
    link = OaUserLink(connection_id=connection.id, user_id=user_id, oa_user_id="walk-user",
                      oa_dept_id="2", other_dept_ids="3,4")
    definition = definitions(name="Walk approvals", subject_kind="walk.thing")
    session.add_all([link, definition])
    session.flush()
    process = OaProcess(definition_id=definition.id, connection_id=connection.id,
                        process_code="PROC-WALK", field_map="{}")
    robot = save_robot(session, "walk-robot", "dingtalk",
                       "https://oapi.dingtalk.com/robot/send?access_token=walk", "SECwalk")
    session.add_all([process, OaRobotRoute(robot_id=robot.id, notification_kind="system")])
    session.flush()
    return {"oa_link_id": link.id, "oa_process_id": process.id, "oa_robot_id": robot.id}
