"""Signing in safely: throttling, the password policy, changing one's password, session
rotation and cookie flags — as a browser (or someone guessing passwords) sees them."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from sqlalchemy import select

from crm_core.app import create_app
from crm_core.auth import policy
from crm_core.auth.models import LoginAttempt
from crm_core.auth.service import create_user, ensure_first_admin
from crm_core.errors import DomainError
from crm_core.testing import create_test_user, login, test_config

PASSWORD = "correct-horse-9"
IP_A, IP_B, IP_C = "10.0.0.1", "10.0.0.2", "10.0.0.3"


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def sign_in(client, username, password, ip=IP_A, remember=False, base_url="http://localhost",
            headers=None):
    """Post the sign-in form the way a browser at ``ip`` does."""
    environ = {"REMOTE_ADDR": ip}
    page = client.get("/login", environ_base=environ, base_url=base_url, headers=headers)
    data = {"csrf_token": csrf_token(page.get_data(as_text=True)), "username": username,
            "password": password}
    if remember:
        data["remember"] = "y"
    headers = dict(headers or {})
    scheme = headers.get("X-Forwarded-Proto", base_url.split(":")[0])
    headers["Referer"] = f"{scheme}://localhost/login"  # checked by Flask-WTF over HTTPS
    return client.post("/login", data=data, environ_base=environ, base_url=base_url,
                       headers=headers)


def fail_times(client, username, count, ip=IP_A):
    for _ in range(count):
        response = sign_in(client, username, "not-the-password", ip=ip)
        assert response.status_code == 400
        assert "Wrong user name or password." in response.get_data(as_text=True)


def signed_in(client) -> bool:
    return client.get("/").status_code == 200


def move_attempts_back(app, minutes):
    """Pretend the recorded sign-in tries happened ``minutes`` earlier."""
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        for attempt in session.scalars(select(LoginAttempt)):
            attempt.at = attempt.at - dt.timedelta(minutes=minutes)
        session.commit()
        session.close()


# --- throttling -------------------------------------------------------------------------------

@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgresql",
                                                             marks=pytest.mark.postgres)])
def test_five_wrong_passwords_lock_the_account_even_for_the_right_password(crm_make_app,
                                                                          database):
    app = crm_make_app(plugins=[], database=database)
    create_test_user(app, "ada", PASSWORD)
    client = app.test_client()
    fail_times(client, "ada", 5)
    response = sign_in(client, "ada", PASSWORD)
    assert response.status_code == 429
    assert "Too many failed sign-ins. Try again in 15 minutes." in response.get_data(as_text=True)
    assert 14 * 60 < int(response.headers["Retry-After"]) <= 15 * 60
    assert not signed_in(client)
    # the lock is on the account: another address does not help
    assert sign_in(app.test_client(), "ADA", PASSWORD, ip=IP_B).status_code == 429


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgresql",
                                                             marks=pytest.mark.postgres)])
def test_the_lockout_ends_after_fifteen_minutes(crm_make_app, database):
    app = crm_make_app(plugins=[], database=database)
    create_test_user(app, "ada", PASSWORD)
    client = app.test_client()
    fail_times(client, "ada", 5)
    move_attempts_back(app, 14)
    response = sign_in(client, "ada", PASSWORD)
    assert response.status_code == 429
    assert "Try again in 1 minute." in response.get_data(as_text=True)
    move_attempts_back(app, 1)
    assert sign_in(client, "ada", PASSWORD).status_code == 302
    assert signed_in(client)


def test_refused_tries_while_locked_do_not_lengthen_the_lock(crm_make_app):
    app = crm_make_app(plugins=[])
    create_test_user(app, "ada", PASSWORD)
    client = app.test_client()
    fail_times(client, "ada", 5)
    for _ in range(3):
        assert sign_in(client, "ada", "still-guessing", ip=IP_B).status_code == 429
    move_attempts_back(app, 15)
    assert sign_in(client, "ada", PASSWORD).status_code == 302


def test_a_locked_account_leaves_other_accounts_alone(crm_make_app):
    app = crm_make_app(plugins=[])
    create_test_user(app, "ada", PASSWORD)
    create_test_user(app, "bob", PASSWORD)
    fail_times(app.test_client(), "ada", 5, ip=IP_A)
    bob = app.test_client()
    assert sign_in(bob, "bob", PASSWORD, ip=IP_B).status_code == 302
    assert signed_in(bob)


def test_five_failures_from_one_address_lock_that_address_for_every_account(crm_make_app):
    app = crm_make_app(plugins=[])
    create_test_user(app, "bob", PASSWORD)
    client = app.test_client()
    for name in ("ada", "carol", "dave", "erin", "frank"):  # one guess each, same address
        fail_times(client, name, 1, ip=IP_C)
    response = sign_in(client, "bob", PASSWORD, ip=IP_C)
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.get_data(as_text=True)
    other = app.test_client()
    assert sign_in(other, "bob", PASSWORD, ip=IP_A).status_code == 302


def test_a_successful_sign_in_resets_the_account_count(crm_make_app):
    app = crm_make_app(plugins=[])
    create_test_user(app, "ada", PASSWORD)
    fail_times(app.test_client(), "ada", 4, ip=IP_A)
    assert sign_in(app.test_client(), "ada", PASSWORD, ip=IP_A).status_code == 302
    fail_times(app.test_client(), "ada", 4, ip=IP_B)
    assert sign_in(app.test_client(), "ada", PASSWORD, ip=IP_B).status_code == 302


def test_the_limit_and_the_lockout_are_configurable(crm_make_app):
    app = crm_make_app(plugins=[], CRM_LOGIN_MAX_FAILURES="2", CRM_LOGIN_LOCKOUT_MINUTES="3")
    create_test_user(app, "ada", PASSWORD)
    client = app.test_client()
    fail_times(client, "ada", 2)
    response = sign_in(client, "ada", PASSWORD)
    assert response.status_code == 429
    assert "Try again in 3 minutes." in response.get_data(as_text=True)
    move_attempts_back(app, 3)
    assert sign_in(client, "ada", PASSWORD).status_code == 302


def test_the_lock_holds_for_every_process_sharing_the_database(crm_make_app, tmp_path):
    first = crm_make_app(plugins=[])
    create_test_user(first, "ada", PASSWORD)
    fail_times(first.test_client(), "ada", 5)
    second = create_app(test_config(tmp_path / "second", first.config["CRM_DATABASE_URL"], []))
    try:
        assert sign_in(second.test_client(), "ada", PASSWORD).status_code == 429
    finally:
        second.extensions["crm_db"].engine.dispose()


def test_each_failed_sign_in_is_logged(crm_make_app, capfd):
    app = crm_make_app(plugins=[])
    create_test_user(app, "ada", PASSWORD)
    capfd.readouterr()
    fail_times(app.test_client(), "ada", 2, ip=IP_B)
    lines = [json.loads(line) for line in capfd.readouterr().out.splitlines()
             if line.startswith("{")]
    failures = [line for line in lines if line["message"] == "login failed"]
    assert len(failures) == 2
    assert failures[0]["username"] == "ada" and failures[0]["ip"] == IP_B
    assert failures[0]["level"] == "WARNING" and failures[0]["request_id"]


def test_attempts_for_unknown_names_count_too(crm_make_app):
    app = crm_make_app(plugins=[])
    client = app.test_client()
    fail_times(client, "nobody", 5, ip=IP_A)
    response = sign_in(app.test_client(), "nobody", "anything-at-all", ip=IP_B)
    assert response.status_code == 429  # the same answer as for a real account
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        names = set(session.scalars(select(LoginAttempt.username)))
        session.close()
    assert names == {"nobody"}


# --- password policy --------------------------------------------------------------------------

def change_password(client, current, new, confirm=None):
    page = client.get("/account/password")
    assert page.status_code == 200
    return client.post("/account/password", data={
        "csrf_token": csrf_token(page.get_data(as_text=True)), "current_password": current,
        "new_password": new, "confirm": new if confirm is None else confirm})


@pytest.fixture
def ada(crm_make_app):
    app = crm_make_app(plugins=[])
    user = create_test_user(app, "ada_lovelace", PASSWORD)
    return app, login(app.test_client(), user)


def field_errors(html: str) -> list[str]:
    return re.findall(r'<div class="invalid-feedback">([^<]+)</div>', html)


@pytest.mark.parametrize("new, message", [
    ("short-1", "The password must have at least 10 characters."),
    ("my-name-is-Ada_Lovelace", "The password must not contain the user name."),
    ("ADA_LOVELACE", "The password must not contain the user name."),
    ("password123", "one of the most commonly used"),
    ("qwertyuiop", "one of the most commonly used"),
])
def test_change_password_refuses_a_weak_new_password_with_a_field_error(ada, new, message):
    _app, client = ada
    response = change_password(client, PASSWORD, new)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert any(message in error for error in field_errors(html))
    assert 'id="new_password"' in html and "is-invalid" in html
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/").get_data(as_text=True))})
    assert sign_in(client, "ada_lovelace", PASSWORD).status_code == 302  # unchanged


def test_change_password_needs_the_current_password(ada):
    _app, client = ada
    response = change_password(client, "not-my-password", "a-much-better-one-77")
    assert response.status_code == 400
    assert "The current password is wrong." in field_errors(response.get_data(as_text=True))


def test_change_password_needs_the_new_one_twice_the_same(ada):
    _app, client = ada
    response = change_password(client, PASSWORD, "a-much-better-one-77", "a-much-better-one-78")
    assert response.status_code == 400
    assert "The two new passwords differ." in field_errors(response.get_data(as_text=True))


def test_a_strong_new_password_is_taken_and_the_user_stays_signed_in(ada):
    app, client = ada
    response = change_password(client, PASSWORD, "a-much-better-one-77")
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert "Your password has been changed." in page.get_data(as_text=True)
    assert signed_in(client)
    fresh = app.test_client()
    assert sign_in(fresh, "ada_lovelace", PASSWORD).status_code == 400
    assert sign_in(fresh, "ada_lovelace", "a-much-better-one-77", ip=IP_B).status_code == 302


def test_the_change_password_page_is_for_signed_in_users(client):
    response = client.get("/account/password")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_creating_a_user_applies_the_policy(crm_session):
    with pytest.raises(DomainError, match="commonly used"):
        create_user(crm_session, "grace", "qwerty1234")
    with pytest.raises(DomainError, match="at least 10 characters"):
        create_user(crm_session, "grace", "Tr0ub4dor")
    assert create_user(crm_session, "grace", PASSWORD).username == "grace"


def test_the_minimum_length_is_configurable(crm_make_app):
    app = crm_make_app(plugins=[], CRM_PASSWORD_MIN_LENGTH="16")
    with app.app_context():
        assert policy.password_problems(PASSWORD, "ada") == [
            "The password must have at least 16 characters."]


def test_a_generated_first_admin_password_passes_the_policy(crm_session):
    user, password = ensure_first_admin(crm_session, "admin")
    assert policy.is_acceptable(password, "admin")
    assert user.display_name == "管理员"  # named in the install's language (Chinese first)


# --- session and cookies ----------------------------------------------------------------------

def test_signing_in_starts_a_new_session(crm_app, client):
    create_test_user(crm_app, "ada", PASSWORD)
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    before = client.get_cookie("session").value
    assert sign_in(client, "ada", PASSWORD).status_code == 302
    assert client.get_cookie("session").value != before
    with client.session_transaction() as session:
        assert "planted" not in session and session["_user_id"]
    # the next form's CSRF token is valid in the new session
    home = client.get("/")
    response = client.post("/logout", data={"csrf_token": csrf_token(home.get_data(as_text=True))})
    assert response.status_code == 302 and not signed_in(client)


def set_cookies(response) -> dict[str, str]:
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


def cookie_flags(header: str) -> set[str]:
    return {part.strip().lower() for part in header.split(";")[1:]}


def test_cookies_are_secure_over_https(crm_app, client):
    create_test_user(crm_app, "ada", PASSWORD)
    response = sign_in(client, "ada", PASSWORD, remember=True, base_url="https://localhost")
    cookies = set_cookies(response)
    assert {"session", "remember_token"} <= set(cookies)
    for name in ("session", "remember_token"):
        assert {"secure", "httponly", "samesite=lax"} <= cookie_flags(cookies[name]), name


def test_cookies_are_not_marked_secure_over_plain_http(crm_app, client):
    create_test_user(crm_app, "ada", PASSWORD)
    cookies = set_cookies(sign_in(client, "ada", PASSWORD, remember=True))
    for name in ("session", "remember_token"):
        flags = cookie_flags(cookies[name])
        assert "secure" not in flags and {"httponly", "samesite=lax"} <= flags, name


@pytest.mark.parametrize("proxy_fix, secure", [(True, True), (False, False)])
def test_behind_a_proxy_https_is_believed_only_when_configured(crm_make_app, proxy_fix, secure):
    app = crm_make_app(plugins=[], CRM_PROXY_FIX=proxy_fix)
    create_test_user(app, "ada", PASSWORD)
    response = sign_in(app.test_client(), "ada", PASSWORD,
                       headers={"X-Forwarded-Proto": "https"})
    assert ("secure" in cookie_flags(set_cookies(response)["session"])) is secure


def test_sign_ins_failures_and_sign_outs_are_in_the_operation_log(crm_make_app):
    from crm_core.audit.models import AuditEntry

    app = crm_make_app(plugins=[])
    ada = create_test_user(app, "ada", PASSWORD)
    client = app.test_client()
    fail_times(client, "ada", 1, ip=IP_B)
    fail_times(client, "nobody", 1, ip=IP_B)
    assert sign_in(client, "ada", PASSWORD, ip=IP_B).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/").get_data(as_text=True))},
                environ_base={"REMOTE_ADDR": IP_B})
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        entries = [(e.action, e.user_id, e.username, e.ip, bool(e.request_id))
                   for e in session.scalars(select(AuditEntry).where(AuditEntry.action.in_(
                       ["login", "login_failed", "logout"])).order_by(AuditEntry.id))]
        session.close()
    assert entries == [
        ("login_failed", ada.id, "ada", IP_B, True),
        ("login_failed", None, "nobody", IP_B, True),
        ("login", ada.id, "ada", IP_B, True),
        ("logout", ada.id, "ada", IP_B, True),
    ]


@pytest.mark.parametrize("target", ["//evil.example/", "/\\evil.example/", "https://evil.example/"])
def test_signing_in_never_leads_to_another_site(crm_app, client, target):
    create_test_user(crm_app, "ada", PASSWORD)
    page = client.get("/login")
    response = client.post("/login", query_string={"next": target}, data={
        "csrf_token": csrf_token(page.get_data(as_text=True)), "username": "ada",
        "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/"
