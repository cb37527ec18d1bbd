"""Sign in with DingTalk, WeCom and Feishu against the fakes: the OAuth code flow signs in
the CRM user linked by OA user id or by mobile number; a replayed or forged state, a person
without a link and a disabled user are sent back to the login page; nobody is created."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
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


def through_the_oa(browser, name: str):
    """Start at /oa/signin/<name>, consent on the fake, come back; the last response."""
    start = browser.get(f"/oa/signin/{name}")
    assert start.status_code == 302
    consent = httpx.get(start.headers["Location"], follow_redirects=False)
    assert consent.status_code == 302, consent.text
    back = urlsplit(consent.headers["Location"])
    assert back.path == f"/oa/signin/{name}/done"
    return browser.get(f"{back.path}?{back.query}"), f"{back.path}?{back.query}"


def signed_in(browser) -> bool:
    return browser.get("/api/v1/notifications/unread-count").status_code == 200


def user_count(world) -> int:
    from sqlalchemy import func, select

    from crm_core.auth.models import User
    from crm_core.db import get_session

    with world.app.app_context():
        return get_session().scalar(select(func.count(User.id)))


def test_dingtalk_sign_in_by_user_id_and_the_refusals(world):
    world.fake.people = [{"userid": "dt-rep", "name": "Rep", "mobile": "13800000009"},
                         {"userid": "dt-stranger", "name": "Stranger"}]
    users = user_count(world)
    browser = world.app.test_client()
    world.fake.signing_in = "dt-rep"
    answer, done = through_the_oa(browser, "dt")
    assert answer.status_code == 302 and urlsplit(answer.headers["Location"]).path == "/"
    assert signed_in(browser)
    # the same answer again: the state was used, so it is refused
    other = world.app.test_client()
    replay = other.get(done, follow_redirects=True)
    assert "expired" in replay.get_data(as_text=True) and not signed_in(other)
    # a person of the OA without a link is told so, and no account is made for them
    world.fake.signing_in = "dt-stranger"
    stranger = world.app.test_client()
    refused, _done = through_the_oa(stranger, "dt")
    assert urlsplit(refused.headers["Location"]).path == "/login"
    assert "not linked" in stranger.get("/login").get_data(as_text=True)
    assert not signed_in(stranger) and user_count(world) == users


def test_wecom_sign_in_and_a_disabled_user_is_refused(world, tmp_path):
    fake = FakeWeCom(aes_key=AES_KEY).start()
    try:
        for name, value in (("s", fake.secret), ("k", AES_KEY)):
            (tmp_path / name).write_text(value)
        world.cli("oa", "connect", "--name", "wx", "--kind", "wecom", "--corp-id",
                  fake.corp_id, "--agent-id", fake.agent_id, "--app-secret-file",
                  str(tmp_path / "s"), "--token", fake.token, "--aes-key-file",
                  str(tmp_path / "k"), "--base-url", fake.url, "--signin")
        world.cli("oa", "link-user", "--connection", "wx", "--username", "boss",
                  "--oa-user-id", "wx-boss")
        fake.signing_in = "wx-boss"
        browser = world.app.test_client()
        through_the_oa(browser, "wx")
        assert signed_in(browser)
        from crm_core.db import get_session
        from crm_core.rbac.users import disable_account

        with world.app.app_context():
            disable_account(get_session(), world.users["boss"].id)
            get_session().commit()
        again = world.app.test_client()
        refused, _done = through_the_oa(again, "wx")
        assert "disabled" in again.get("/login").get_data(as_text=True)
        assert not signed_in(again)
    finally:
        fake.stop()


def test_feishu_sign_in_links_by_mobile_number(world, tmp_path):
    fake = FakeFeishu().start()
    try:
        for name, value in (("s", fake.app_secret), ("k", fake.encrypt_key)):
            (tmp_path / name).write_text(value)
        world.cli("oa", "connect", "--name", "fs", "--kind", "feishu", "--app-key",
                  fake.app_id, "--app-secret-file", str(tmp_path / "s"), "--token",
                  fake.verification_token, "--aes-key-file", str(tmp_path / "k"),
                  "--base-url", fake.url, "--signin")
        # the link knows an old OA id and the mobile number; the OA now says another id
        fake.people = [{"user_id": "fs-old", "mobile": "+8613600000009"}]
        world.cli("oa", "link-user", "--connection", "fs", "--username", "viewer",
                  "--mobile", "+8613600000009")
        fake.people = [{"user_id": "fs-new", "mobile": "+8613600000009"}]
        fake.signing_in = "fs-new"
        browser = world.app.test_client()
        answer, _done = through_the_oa(browser, "fs")
        assert urlsplit(answer.headers["Location"]).path == "/" and signed_in(browser)
    finally:
        fake.stop()


def test_the_login_page_offers_each_connection_with_sign_in_enabled(world, tmp_path):
    page = world.app.test_client().get("/login").get_data(as_text=True)
    assert "Sign in with DingTalk" in page and 'href="/oa/signin/dt"' in page
    # a second DingTalk app without sign-in: no button, and its sign-in route refuses
    from oa_testing import connect

    connect(world, tmp_path, name="dt-quiet")
    world.cli("oa", "connect", "--name", "dt-quiet", "--kind", "dingtalk", "--app-key",
              "quiet", "--corp-id", "quiet", "--no-signin")
    page = world.app.test_client().get("/login").get_data(as_text=True)
    assert "/oa/signin/dt-quiet" not in page and "Sign in with DingTalk</a>" in page
    refused = world.app.test_client().get("/oa/signin/dt-quiet")
    assert urlsplit(refused.headers["Location"]).path == "/login"
    # two of one kind with sign-in: each button names its connection
    world.cli("oa", "connect", "--name", "dt-quiet", "--kind", "dingtalk", "--app-key",
              "quiet", "--corp-id", "quiet", "--signin")
    page = world.app.test_client().get("/login").get_data(as_text=True)
    assert "Sign in with DingTalk (dt)" in page and "Sign in with DingTalk (dt-quiet)" in page
    # switched off on the settings page: the button is gone
    admin = world.login("root")
    from crm_core.testing_clients import csrf_token_of

    with world.app.app_context():
        from crm_core.db import get_session
        from plugins.oa_bridge.connections.services import find_connection

        dt_id = find_connection(get_session(), "dt").id
    form = admin.get(f"/oa/connections/{dt_id}").get_data(as_text=True)
    assert 'name="signin"' in form
    saved = admin.post(f"/oa/connections/{dt_id}", data={
        "csrf_token": csrf_token_of(admin, f"/oa/connections/{dt_id}"), "name": "dt",
        "kind": "dingtalk", "app_key": "quiet", "corp_id": "quiet", "active": "y"})
    assert saved.status_code == 302
    page = world.app.test_client().get("/login").get_data(as_text=True)
    assert 'href="/oa/signin/dt"' not in page and "/oa/signin/dt-quiet" in page
