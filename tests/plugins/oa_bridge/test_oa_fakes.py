"""WeCom and Feishu end to end against their fakes: an approval started under the requester's
OA id and decided by the OA's encrypted callback, a notice the user chose, a group robot post,
a link by mobile number and an org sync."""

from __future__ import annotations

import json
import re

import pytest
from oa_testing import AES_KEY, approval_status, build, drain, instance, request

from plugins.oa_bridge.fake.feishu import FakeFeishu
from plugins.oa_bridge.fake.wecom import FakeWeCom

pytestmark = pytest.mark.crm_plugins("oa_bridge")


@pytest.fixture
def world(crm_app, tmp_path):
    built = build(crm_app, tmp_path)
    yield built
    built.fake.stop()


def files(tmp_path, **values: str) -> dict[str, str]:
    paths = {}
    for name, value in values.items():
        path = tmp_path / f"{name}.txt"
        path.write_text(value)
        paths[name] = str(path)
    return paths


def choose(world, name: str, field: str) -> None:
    browser = world.login(name)
    page = browser.get("/notifications/preferences").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    browser.post("/notifications/preferences", data={"csrf_token": token, "save": "1",
                                                      field: "y"})


def notify_all(world, title: str) -> None:
    from crm_core.db import get_session
    from crm_core.toolkit import notify

    with world.app.app_context():
        notify([user.id for user in world.users.values()], "system", title, "")
        get_session().commit()


def usernames(world) -> dict[str, tuple[str, bool]]:
    from sqlalchemy import select

    from crm_core.auth.models import User
    from crm_core.db import get_session

    with world.app.app_context():
        return {row.username: (row.display_name, row.is_active)
                for row in get_session().scalars(select(User))}


def test_wecom_end_to_end(world, tmp_path):
    fake = FakeWeCom(aes_key=AES_KEY).start()
    try:
        paths = files(tmp_path, secret=fake.secret, aes=AES_KEY,
                      hook=f"{fake.url}/cgi-bin/webhook/send?key={fake.robot_key}")
        world.cli("oa", "connect", "--name", "wx", "--kind", "wecom", "--corp-id", fake.corp_id,
                  "--agent-id", fake.agent_id, "--app-secret-file", paths["secret"],
                  "--token", fake.token, "--aes-key-file", paths["aes"],
                  "--base-url", fake.url)
        fake.people = [{"userid": "wx-rep", "name": "Rep", "mobile": "13700000001",
                        "department": [1], "status": 1},
                       {"userid": "wx-new", "name": "新同事", "department": [5], "status": 1}]
        fake.departments = [{"id": 1, "name": "公司", "parentid": 0},
                            {"id": 5, "name": "渠道部", "parentid": 1}]
        world.cli("oa", "link-user", "--connection", "wx", "--username", "rep",
                  "--mobile", "13700000001")
        world.cli("oa", "map-approval", "--connection", "wx", "--definition", "OA things",
                  "--process-code", "TPL-1", "--fields", '{"标题": "title"}')
        result = request(world, 41)
        assert drain(world).delivered == 1
        sp_no = instance(world, result.approval_id).instance_id
        sent = fake.instances[sp_no]
        assert sent["creator_userid"] == "wx-rep" and sent["template_id"] == "TPL-1"
        assert sent["apply_data"]["contents"][0]["value"] == {"text": "Thing 41"}
        response = fake.decide(sp_no, 3, send=lambda params, body: world.app.test_client()
                               .post("/oa/callback/wx", query_string=params, data=body))
        assert response.get_data() == b"success"
        assert approval_status(world, result.approval_id) == "rejected"

        choose(world, "rep", "system--oa_bridge.wecom")
        world.cli("oa", "robot", "--name", "wx-group", "--kind", "wecom",
                  "--webhook-file", paths["hook"])
        world.cli("oa", "route", "--robot", "wx-group", "--notification-kind", "system")
        notify_all(world, "客户 华为 已签约")
        assert drain(world).delivered == 2
        [message] = fake.messages
        assert message["touser"] == "wx-rep" and message["agentid"] == 1000002
        assert "客户 华为 已签约" in message["text"]["content"]
        assert fake.robot_posts[0]["text"]["content"] == "客户 华为 已签约"

        report = json.loads(world.cli("oa", "sync-org", "--connection", "wx",
                                      "--json").output)
        assert report["counts"] == {"create_department": 1, "create_user": 1,
                                    "update_user": 1}
        assert usernames(world)["wx.wx-new"] == ("新同事", True)
    finally:
        fake.stop()


def test_feishu_end_to_end(world, tmp_path):
    fake = FakeFeishu(bot_secret="feishu-bot-secret").start()
    try:
        paths = files(tmp_path, secret=fake.app_secret, key=fake.encrypt_key,
                      hook=f"{fake.url}/open-apis/bot/v2/hook/HOOK-TOKEN",
                      bot=fake.bot_secret)
        world.cli("oa", "connect", "--name", "fs", "--kind", "feishu", "--app-key", fake.app_id,
                  "--app-secret-file", paths["secret"], "--token", fake.verification_token,
                  "--aes-key-file", paths["key"], "--base-url", fake.url)
        fake.people = [{"user_id": "fs-rep", "name": "Rep", "mobile": "+8613600000001",
                        "department_ids": ["0"], "status": {}}]
        world.cli("oa", "link-user", "--connection", "fs", "--username", "rep",
                  "--mobile", "+8613600000001")
        world.cli("oa", "map-approval", "--connection", "fs", "--definition", "OA things",
                  "--process-code", "APPROVAL-CODE", "--fields", '{"amount_widget": "amount"}')
        result = request(world, 42, amount=880)
        assert drain(world).delivered == 1
        code = instance(world, result.approval_id).instance_id
        sent = fake.instances[code]
        assert sent["user_id"] == "fs-rep" and sent["approval_code"] == "APPROVAL-CODE"
        assert sent["form"] == [{"id": "amount_widget", "type": "input", "value": "880.00"}]

        def send(params, body, headers):
            return world.app.test_client().post("/oa/callback/fs", data=body, headers=headers)

        assert fake.decide(code, "APPROVED", send=send).get_json() == {"msg": "success"}
        assert approval_status(world, result.approval_id) == "approved"

        choose(world, "rep", "system--oa_bridge.feishu")
        world.cli("oa", "robot", "--name", "fs-group", "--kind", "feishu",
                  "--webhook-file", paths["hook"], "--secret-file", paths["bot"])
        world.cli("oa", "route", "--robot", "fs-group", "--notification-kind", "system")
        notify_all(world, "Won")
        assert drain(world).delivered == 2
        [message] = fake.messages
        assert message["receive_id"] == "fs-rep" and message["msg_type"] == "text"
        assert json.loads(message["content"]) == {"text": "Won"}
        [post] = fake.robot_posts  # the fake checked the signature (s timestamp, in the body)
        assert post["content"] == {"text": "Won"} and post["sign"]

        fake.people = []  # an OA that lists nobody (no contact scope) disables nobody
        report = json.loads(world.cli("oa", "sync-org", "--connection", "fs",
                                      "--json").output)
        assert report["counts"] == {"error": 1} and usernames(world)["rep"][1] is True
        fake.people = [{"user_id": "fs-new", "name": "New", "department_ids": ["0"]}]
        report = json.loads(world.cli("oa", "sync-org", "--connection", "fs",
                                      "--json").output)  # the rep left: disabled, kept
        assert report["counts"] == {"create_user": 1, "disable_user": 1}
        assert usernames(world)["rep"][1] is False
    finally:
        fake.stop()
