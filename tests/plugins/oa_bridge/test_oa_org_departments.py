"""Users in several OA departments: the org sync puts the kernel user in the primary one —
the vendor's main-department mark where it has one (WeCom ``main_department``, Feishu
``is_primary_dept``), else the first listed (DingTalk) — and keeps the others on the user
link, which the user links page shows."""

from __future__ import annotations

import json

import pytest
from oa_testing import AES_KEY, build

from plugins.oa_bridge.fake.feishu import FakeFeishu
from plugins.oa_bridge.fake.wecom import FakeWeCom

pytestmark = pytest.mark.crm_plugins("oa_bridge")


@pytest.fixture
def world(crm_app, tmp_path):
    built = build(crm_app, tmp_path)
    yield built
    built.fake.stop()


def _placed(world, connection: str) -> dict[str, tuple[str | None, str]]:
    """{username: (kernel department name, the link's other OA departments)}."""
    from sqlalchemy import select

    from crm_core.auth.models import User
    from crm_core.db import get_session
    from crm_core.rbac.models import Department
    from plugins.oa_bridge.models import OaConnection, OaUserLink

    with world.app.app_context():
        session = get_session()
        names = dict(session.execute(select(Department.id, Department.name)).all())
        rows = session.execute(select(User.username, User.department_id,
                                      OaUserLink.other_dept_ids)
                               .join(OaUserLink, OaUserLink.user_id == User.id)
                               .join(OaConnection, OaConnection.id == OaUserLink.connection_id)
                               .where(OaConnection.name == connection)).all()
    return {name: (names.get(dept), others) for name, dept, others in rows}


def _sync(world, connection: str) -> dict:
    return json.loads(world.cli("oa", "sync-org", "--connection", connection,
                                "--json").output)


def test_dingtalk_takes_the_first_department_and_keeps_the_others(world):
    world.fake.departments = [{"dept_id": 10, "name": "销售部", "parent_id": 1},
                              {"dept_id": 20, "name": "客服部", "parent_id": 1}]
    world.fake.people = [{"userid": "u-two", "name": "两个部门", "dept_id_list": [20, 10, 1]},
                         {"userid": "rep-dt", "name": "Rep", "dept_id_list": [10]}]
    _sync(world, "dt")
    placed = _placed(world, "dt")
    assert placed["dt.u-two"] == ("客服部", "10")
    assert placed["dt.rep-dt"] == ("销售部", "")
    # the OA moves the person: one department only now
    world.fake.people[0]["dept_id_list"] = [10]
    _sync(world, "dt")
    assert _placed(world, "dt")["dt.u-two"] == ("销售部", "")


def test_wecom_and_feishu_follow_their_main_department_mark(world, tmp_path):
    wecom, feishu = FakeWeCom(aes_key=AES_KEY).start(), FakeFeishu().start()
    try:
        for name, value in (("ws", wecom.secret), ("wk", AES_KEY), ("fs", feishu.app_secret),
                            ("fk", feishu.encrypt_key)):
            (tmp_path / name).write_text(value)
        world.cli("oa", "connect", "--name", "wx", "--kind", "wecom", "--corp-id",
                  wecom.corp_id, "--agent-id", wecom.agent_id, "--app-secret-file",
                  str(tmp_path / "ws"), "--token", wecom.token, "--aes-key-file",
                  str(tmp_path / "wk"), "--base-url", wecom.url)
        world.cli("oa", "connect", "--name", "fsx", "--kind", "feishu", "--app-key",
                  feishu.app_id, "--app-secret-file", str(tmp_path / "fs"), "--token",
                  feishu.verification_token, "--aes-key-file", str(tmp_path / "fk"),
                  "--base-url", feishu.url)
        wecom.departments = [{"id": 2, "name": "研发部", "parentid": 1},
                             {"id": 3, "name": "市场部", "parentid": 1}]
        wecom.people = [{"userid": "w-many", "name": "多部门", "department": [2, 3],
                         "main_department": 3, "status": 1}]
        feishu.departments = [{"open_department_id": "od-a", "name": "华北区",
                               "parent_department_id": "0"},
                              {"open_department_id": "od-b", "name": "华南区",
                               "parent_department_id": "0"}]
        feishu.people = [{"user_id": "f-many", "name": "飞书多部门",
                          "department_ids": ["od-a", "od-b"],
                          "orders": [{"department_id": "od-a", "is_primary_dept": False},
                                     {"department_id": "od-b", "is_primary_dept": True}]}]
        _sync(world, "wx")
        _sync(world, "fsx")
        assert _placed(world, "wx")["wx.w-many"] == ("市场部", "2")
        assert _placed(world, "fsx")["fsx.f-many"] == ("华南区", "od-a")
    finally:
        wecom.stop()
        feishu.stop()
