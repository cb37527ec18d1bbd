"""Org sync against the fake DingTalk's contact book: departments and users are created,
renamed, moved and disabled, never deleted; a dry run writes nothing; an account that exists
is linked by e-mail, not duplicated; an org-change callback queues a sync."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from oa_testing import build, drain

pytestmark = pytest.mark.crm_plugins("oa_bridge")

DEPARTMENTS = [{"dept_id": 10, "name": "销售部", "parent_id": 1},
               {"dept_id": 11, "name": "华东区", "parent_id": 10},
               {"dept_id": 20, "name": "客服部", "parent_id": 1}]


def people() -> list[dict]:
    return [{"userid": "u-li", "name": "李娜", "mobile": "13800000001",
             "email": "li.na@example.com", "dept_id_list": [11], "active": True},
            {"userid": "u-wang", "name": "王伟", "mobile": "13800000002",
             "email": "", "dept_id_list": [20], "active": True},
            {"userid": "u-boss", "name": "Boss Zhang", "email": "BOSS@example.com",
             "dept_id_list": [10], "active": True},
            {"userid": "u-gone", "name": "Left Already", "dept_id_list": [20],
             "active": False}]


@pytest.fixture
def world(crm_app, tmp_path):
    built = build(crm_app, tmp_path)
    built.fake.departments = [dict(row) for row in DEPARTMENTS]
    built.fake.people = people()
    yield built
    built.fake.stop()


def sync(world, *extra: str) -> dict:
    result = world.cli("oa", "sync-org", "--connection", "dt", "--json", *extra)
    return json.loads(result.output)


def kernel(world) -> tuple[dict, dict]:
    """{department name: parent name} and {username: (display name, department, active)}."""
    from sqlalchemy import select

    from crm_core.auth.models import User
    from crm_core.db import get_session
    from crm_core.rbac.models import Department

    with world.app.app_context():
        session = get_session()
        names = {row.id: row.name for row in session.scalars(select(Department))}
        departments = {row.name: names.get(row.parent_id)
                       for row in session.scalars(select(Department))}
        users = {row.username: (row.display_name, names.get(row.department_id), row.is_active,
                                row.is_superuser)
                 for row in session.scalars(select(User))}
    return departments, users


def test_dry_run_lists_the_changes_and_writes_nothing_then_the_sync_does_them(world):
    before = kernel(world)
    planned = sync(world, "--dry-run")
    assert planned["dry_run"] is True and kernel(world) == before
    assert planned["counts"] == {"create_department": 3, "create_user": 2, "link_user": 1,
                                 "disable_user": 1}  # rep's manual link is not in the OA
    done = sync(world)
    assert done["counts"] == planned["counts"]
    departments, users = kernel(world)
    assert departments["华东区"] == "销售部" and departments["客服部"] is None
    assert users["dt.u-li"] == ("李娜", "华东区", True, False)
    assert users["dt.u-wang"][1] == "客服部"
    assert users["boss"][:3] == ("Boss Zhang", "销售部", True)  # linked by e-mail, not copied
    assert "dt.u-gone" not in users and users["rep"][2] is False
    assert sync(world)["counts"] == {}  # a second run finds nothing to do


def test_renames_moves_and_leavers_follow_the_oa_and_nothing_is_deleted(world):
    sync(world)
    world.fake.departments[1]["name"] = "华东大区"
    world.fake.departments[1]["parent_id"] = 20  # moved under 客服部
    world.fake.people[0]["dept_id_list"] = [20]  # 李娜 moved to 客服部
    world.fake.people[1]["active"] = False
    del world.fake.people[2]  # the boss left the company
    del world.fake.departments[0]  # 销售部 is gone from the OA
    # someone else in the OA with the (already linked) rep's address is not merged into them
    world.fake.people.append({"userid": "u-rep2", "name": "Rep Two",
                              "email": "rep@example.com", "dept_id_list": [20]})
    report = sync(world)
    assert report["counts"] == {"update_department": 1, "update_user": 2, "disable_user": 1,
                                "error": 1}
    [error] = [change for change in report["changes"] if change["action"] == "error"]
    assert error["oa_id"] == "u-rep2" and "already linked" in error["error"]
    departments, users = kernel(world)
    assert departments["华东大区"] == "客服部" and "销售部" in departments  # kept
    assert users["dt.u-li"][1:3] == ("客服部", True)
    assert users["dt.u-wang"][2] is False and users["boss"][2] is False


def test_an_org_change_callback_queues_one_sync(world):
    sync(world)
    world.fake.people[1]["active"] = False
    for user in ("u-wang", "u-li"):
        params, body = world.fake.callback({"EventType": "user_leave_org", "UserId": [user],
                                            "CorpId": world.fake.corp_id,
                                            "TimeStamp": "1"})
        assert world.post_callback(params, body).status_code == 200
    report = drain(world, now=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1))
    assert report.delivered == 1  # two events, one sync
    assert kernel(world)[1]["dt.u-wang"][2] is False


def test_the_daily_sync_is_a_beat_entry(crm_app):
    entries = [entry for batch in crm_app.extensions["crm"].hook.crm_beat_schedule()
               for entry in batch]
    assert any(entry.task == "sync_org" and entry.crontab for entry in entries)
