"""The OA bridge's administration pages, as an administrator uses them: user links,
approval mappings and group robots are listed, added, changed and deleted after a
confirmation; every write needs the CSRF token and the permission and is in the operation
log; a refused value is shown under its field; secrets never come back."""

from __future__ import annotations

import re

import pytest
from oa_testing import build
from sqlalchemy import select

from crm_core.db import get_session
from crm_core.testing_clients import csrf_token_of

pytestmark = pytest.mark.crm_plugins("oa_bridge")


@pytest.fixture
def world(crm_app, tmp_path):
    built = build(crm_app, tmp_path)
    yield built
    built.fake.stop()


def _ids(page: str, kind: str) -> list[int]:
    return [int(value) for value in re.findall(rf"/oa/{kind}/(\d+)/delete", page)]


def _logged(world, table: str) -> set[str]:
    from crm_core.audit.models import AuditEntry

    with world.app.app_context():
        return set(get_session().scalars(select(AuditEntry.action).where(
            AuditEntry.model == table)))


def _connection_id(world) -> int:
    from plugins.oa_bridge.models import OaConnection

    with world.app.app_context():
        return get_session().scalar(select(OaConnection.id).where(OaConnection.name == "dt"))


def test_user_links_are_added_changed_refused_and_deleted(world):
    admin = world.login("root")
    page = admin.get("/oa/links/").get_data(as_text=True)
    assert "dt-rep" in page and "rep" in page
    token = csrf_token_of(admin, "/oa/links/new")
    form = {"csrf_token": token, "connection_id": str(_connection_id(world)),
            "username": "boss", "oa_user_id": "dt-boss", "mobile": "13900000001"}
    assert admin.post("/oa/links/new", data={**form, "csrf_token": ""}).status_code == 400
    assert admin.post("/oa/links/new", data=form).status_code == 302
    taken = admin.post("/oa/links/new", data={**form, "username": "viewer"})
    assert taken.status_code == 400 and "Another user is linked" in taken.get_data(as_text=True)
    nobody = admin.post("/oa/links/new", data={**form, "username": "no-such-user",
                                               "oa_user_id": "x"})
    assert "There is no user named" in nobody.get_data(as_text=True)
    odd = admin.post("/oa/links/new", data={**form, "oa_user_id": "a\x00b", "username": "viewer"})
    assert odd.status_code == 400

    page = admin.get("/oa/links/?q=boss").get_data(as_text=True)
    assert "dt-boss" in page and "dt-rep" not in page
    [link_id] = _ids(page, "links")
    assert admin.post(f"/oa/links/{link_id}", data={**form, "oa_user_id": "dt-boss-2"}
                      ).status_code == 302
    assert "dt-boss-2" in admin.get("/oa/links/").get_data(as_text=True)
    question = admin.get(f"/oa/links/{link_id}/delete").get_data(as_text=True)
    assert "Remove the link of boss" in question
    assert admin.post(f"/oa/links/{link_id}/delete", data={"csrf_token": token}
                      ).status_code == 302
    assert "dt-boss-2" not in admin.get("/oa/links/").get_data(as_text=True)
    assert {"insert", "update", "delete"} <= _logged(world, "oa_bridge_user_link")
    assert admin.get("/oa/links/999999").status_code == 404

    viewer = world.login("viewer")
    assert viewer.get("/oa/links/").status_code == 403
    assert viewer.post("/oa/links/new", data=form).status_code in (400, 403)


def test_approval_mappings_are_kept_with_their_field_mapping(world):
    admin = world.login("root")
    page = admin.get("/oa/approvals/").get_data(as_text=True)
    assert "PROC-1" in page and "OA things" in page and "标题 = title" in page
    [process_id] = _ids(page, "approvals")
    edit = admin.get(f"/oa/approvals/{process_id}").get_data(as_text=True)
    assert "金额 = amount" in edit
    token = csrf_token_of(admin, f"/oa/approvals/{process_id}")
    with world.app.app_context():
        from crm_core.approvals.models import ApprovalDefinition

        definition_id = get_session().scalar(select(ApprovalDefinition.id))
    form = {"csrf_token": token, "definition_id": str(definition_id),
            "connection_id": str(_connection_id(world)), "process_code": "PROC-2",
            "field_map": "标题 = title\n客户 = subject_id"}
    bad = admin.post(f"/oa/approvals/{process_id}", data={**form, "field_map": "客户 = nowhere"})
    assert bad.status_code == 400 and "Write each line as" in bad.get_data(as_text=True)
    twice = admin.post("/oa/approvals/new", data=form)
    assert twice.status_code == 400 and "already mapped" in twice.get_data(as_text=True)
    assert admin.post(f"/oa/approvals/{process_id}", data=form).status_code == 302
    page = admin.get("/oa/approvals/").get_data(as_text=True)
    assert "PROC-2" in page and "客户 = subject_id" in page
    assert admin.post(f"/oa/approvals/{process_id}/delete", data={"csrf_token": token}
                      ).status_code == 302
    assert "PROC-2" not in admin.get("/oa/approvals/").get_data(as_text=True)
    assert {"update", "delete"} <= _logged(world, "oa_bridge_process")
    assert world.login("viewer").get(f"/oa/approvals/{process_id}").status_code == 403


def test_group_robots_post_the_chosen_kinds_and_keep_their_secrets(world):
    admin = world.login("root")
    token = csrf_token_of(admin, "/oa/robots/new")
    form = {"csrf_token": token, "name": "销售群", "kind": "dingtalk",
            "webhook": "https://oapi.dingtalk.com/robot/send?access_token=SECRET-TOKEN",
            "secret": "SEC-signing", "active": "y", "kinds": ["system"]}
    missing = admin.post("/oa/robots/new", data={**form, "webhook": ""})
    assert missing.status_code == 400 and "webhook" in missing.get_data(as_text=True)
    unknown = admin.post("/oa/robots/new", data={**form, "kinds": ["no.such.kind"]})
    assert unknown.status_code == 400
    assert admin.post("/oa/robots/new", data=form).status_code == 302
    page = admin.get("/oa/robots/").get_data(as_text=True)
    assert "销售群" in page and "SECRET-TOKEN" not in page and "access_token=***" in page
    [robot_id] = _ids(page, "robots")
    edit = admin.get(f"/oa/robots/{robot_id}").get_data(as_text=True)
    assert "SECRET-TOKEN" not in edit and "SEC-signing" not in edit
    assert 'value="system" checked' in edit or "checked" in edit
    # renamed, routes cleared, webhook kept
    assert admin.post(f"/oa/robots/{robot_id}", data={
        "csrf_token": token, "name": "销售一群", "kind": "dingtalk", "active": "y"}
                      ).status_code == 302
    with world.app.app_context():
        from plugins.oa_bridge.admin.services import robot_webhook_hint
        from plugins.oa_bridge.models import OaRobot, OaRobotRoute

        session = get_session()
        robot = session.get(OaRobot, robot_id)
        assert robot.name == "销售一群" and "oapi.dingtalk.com" in robot_webhook_hint(robot)
        assert session.scalar(select(OaRobotRoute.id)) is None
    assert admin.post(f"/oa/robots/{robot_id}/delete", data={"csrf_token": token}
                      ).status_code == 302
    assert f"/oa/robots/{robot_id}/delete" not in admin.get("/oa/robots/").get_data(
        as_text=True)
    assert {"insert", "update", "delete"} <= _logged(world, "oa_bridge_robot")
    assert world.login("viewer").get("/oa/robots/new").status_code == 403
