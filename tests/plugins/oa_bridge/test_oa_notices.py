"""Notices in the OA, against the fake DingTalk: a user who chose DingTalk for a kind on their
notification settings gets a work notice through the outbox (retried on a 5xx, logged and
dropped on a refusal); linking by mobile number asks the OA; a kind routed to a group robot is
posted once per ``notify``, signed."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from oa_testing import build, drain

pytestmark = pytest.mark.crm_plugins("oa_bridge")


@pytest.fixture
def world(crm_app, tmp_path):
    built = build(crm_app, tmp_path)
    yield built
    built.fake.stop()


def choose(world, name: str, ticked: list[str]):
    browser = world.login(name)
    page = browser.get("/notifications/preferences").get_data(as_text=True)
    assert "system--oa_bridge.dingtalk" in page  # DingTalk is a column of the settings
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    answer = browser.post("/notifications/preferences", follow_redirects=True,
                          data={"csrf_token": token, "save": "1",
                                **{name: "y" for name in ticked}})
    assert answer.status_code == 200


def send(world, names: list[str], title: str = "Won: 华为 deal") -> None:
    from crm_core.db import get_session
    from crm_core.toolkit import notify

    with world.app.app_context():
        notify([world.users[name].id for name in names], "system", title, "¥150,000")
        get_session().commit()


def events(world, action: str) -> list[str]:
    from sqlalchemy import select

    from crm_core.audit.models import AuditEntry
    from crm_core.db import get_session

    with world.app.app_context():
        rows = get_session().execute(select(
            AuditEntry.message, AuditEntry.message_data, AuditEntry.changes).where(
            AuditEntry.action == action)).all()
        return [" ".join(str(part or "") for part in row) for row in rows]


def test_a_user_who_chose_dingtalk_gets_a_work_notice_through_the_outbox(world):
    world.app.config["CRM_BASE_URL"] = "https://crm.example.com"
    choose(world, "rep", ["system--in_app", "system--oa_bridge.dingtalk"])
    send(world, ["rep", "boss"])  # the boss has no DingTalk link and did not choose it
    assert world.fake.notices == []  # nothing leaves before the outbox delivers
    assert drain(world).delivered == 1
    [notice] = world.fake.notices
    assert notice["userid_list"] == "dt-rep"
    text = notice["msg"]["text"]["content"]
    assert "Won: 华为 deal" in text and "¥150,000" in text
    assert re.search(r"https://crm\.example\.com/notifications/\d+/open", text)


def test_a_5xx_is_retried_and_a_refusal_is_logged_once(world):
    choose(world, "rep", ["system--oa_bridge.dingtalk"])
    world.fake.fail_next = [(503, {"code": "ServiceUnavailable"})]
    send(world, ["rep"])
    assert drain(world).failed == 1 and world.fake.notices == []
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    assert drain(world, now=later).delivered == 1 and len(world.fake.notices) == 1
    world.fake.fail_next = [(200, {"errcode": 40035, "errmsg": "bad userid"})]
    send(world, ["rep"], title="second")
    assert drain(world).delivered == 1  # delivered to its end: a refusal is not retried
    assert len(world.fake.notices) == 1
    assert any("bad userid" in summary for summary in events(world, "oa_notice_failed"))


def test_link_by_mobile_asks_the_oa_for_the_user_id(world):
    world.fake.people = [{"userid": "dt-boss", "name": "Boss", "mobile": "13800138000"}]
    world.cli("oa", "link-user", "--connection", "dt", "--username", "boss",
              "--mobile", "13800138000")
    choose(world, "boss", ["system--oa_bridge.dingtalk"])
    send(world, ["boss"])
    drain(world)
    assert [notice["userid_list"] for notice in world.fake.notices] == ["dt-boss"]
    result = world.app.test_cli_runner().invoke(args=[
        "oa", "link-user", "--connection", "dt", "--username", "viewer",
        "--mobile", "13900000000"])
    assert result.exit_code != 0 and "Nobody in the OA" in result.output


def test_a_routed_kind_is_posted_once_to_the_group_robot_signed(world, tmp_path):
    world.fake.robot_secret = "SEC-robot-secret+/="
    hook, secret = tmp_path / "hook.txt", tmp_path / "robot-secret.txt"
    hook.write_text(f"{world.fake.url}/robot/send?access_token=ROBOT-TOKEN")
    secret.write_text(world.fake.robot_secret)
    world.cli("oa", "robot", "--name", "sales-group", "--kind", "dingtalk",
              "--webhook-file", str(hook), "--secret-file", str(secret))
    world.cli("oa", "route", "--robot", "sales-group", "--notification-kind", "system")
    send(world, ["rep", "boss", "viewer"], title="Won: the big one")
    assert drain(world).delivered == 1  # one post for three recipients
    [post] = world.fake.robot_posts  # the fake checked the ms timestamp and signature
    assert "Won: the big one" in post["text"]["content"]
    # a wrong secret is refused by the group, logged, and the secret never appears
    world.fake.robot_secret = "another-secret"
    send(world, ["rep"], title="again")
    drain(world)
    assert len(world.fake.robot_posts) == 1
    [failure] = events(world, "oa_robot_failed")
    assert "sign not match" in failure and "SEC-robot" not in failure
    assert "ROBOT-TOKEN" not in " ".join(events(world, "oa_robot_saved"))
