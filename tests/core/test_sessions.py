"""Server-side sessions: a copied cookie stops working once its session is revoked (sign-out,
a new password, a disabled account), and "remember me" lasts CRM_REMEMBER_DAYS (14)."""

from __future__ import annotations

import datetime as dt
import re
from http.cookies import SimpleCookie

import pytest
from sqlalchemy import select

from crm_core.auth.models import AuthSession
from crm_core.errors import ConfigError
from crm_core.rbac.users import create_account
from crm_core.testing import create_test_user, login

PASSWORD = "correct-horse-9"
NEW_PASSWORD = "Kettle-Drum-42x"


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def sign_in(client, username: str, password: str = PASSWORD, remember: bool = False):
    page = client.get("/login")
    data = {"csrf_token": csrf_token(page.get_data(as_text=True)), "username": username,
            "password": password}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def sign_out(client) -> None:
    home = client.get("/")
    response = client.post("/logout", data={"csrf_token": csrf_token(home.get_data(as_text=True))})
    assert response.status_code == 302


def post_form(client, url: str, data: dict):
    page = client.get(url)
    return client.post(url, data={"csrf_token": csrf_token(page.get_data(as_text=True)), **data})


def replay(app, cookies: dict[str, str]):
    """A new browser holding copies of ``cookies``."""
    thief = app.test_client()
    for name, value in cookies.items():
        thief.set_cookie(name, value)
    return thief


def copied(client, *names: str) -> dict[str, str]:
    return {name: client.get_cookie(name).value for name in names}


def signed_in(client) -> bool:
    response = client.get("/")
    if response.status_code == 200:
        return True
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    return False


def api_status(client) -> int:
    return client.get("/api/v1/me").status_code


def kernel_user(app, name: str, *, roles=("sales",), superuser: bool = False):
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        user = create_account(session, name, PASSWORD, roles=list(roles), superuser=superuser)
        session.commit()
        session.refresh(user)
        session.close()
    return user


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgresql",
                                                             marks=pytest.mark.postgres)])
def test_a_copied_session_cookie_is_signed_out_by_logout(crm_make_app, database):
    app = crm_make_app(plugins=[], database=database)
    kernel_user(app, "ada")
    browser = app.test_client()
    sign_in(browser, "ada")
    stolen = copied(browser, "session")
    assert signed_in(replay(app, stolen)) and api_status(replay(app, stolen)) == 200

    sign_out(browser)
    assert not signed_in(browser)
    assert not signed_in(replay(app, stolen))
    assert api_status(replay(app, stolen)) == 401


def test_the_remember_cookie_lasts_14_days_and_logout_revokes_it(crm_make_app):
    app = crm_make_app(plugins=[])
    kernel_user(app, "ada")
    browser = app.test_client()
    response = sign_in(browser, "ada", remember=True)
    header = next(value for value in response.headers.getlist("Set-Cookie")
                  if value.startswith("remember_token="))
    expires = dt.datetime.strptime(SimpleCookie(header)["remember_token"]["expires"],
                                   "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=dt.UTC)
    left = expires - dt.datetime.now(dt.UTC)
    assert dt.timedelta(days=13, hours=23) < left <= dt.timedelta(days=14)

    remembered = copied(browser, "remember_token")
    assert signed_in(replay(app, remembered))  # the remember cookie alone signs in
    sign_out(browser)
    assert not signed_in(replay(app, remembered))
    assert api_status(replay(app, remembered)) == 401


def test_crm_remember_days_sets_the_cookie_and_the_session_lifetime(crm_make_app):
    app = crm_make_app(plugins=[], CRM_REMEMBER_DAYS="3")
    assert app.config["REMEMBER_COOKIE_DURATION"] == dt.timedelta(days=3)
    ada = kernel_user(app, "ada")
    sign_in(app.test_client(), "ada", remember=True)
    with app.app_context():
        row = app.extensions["crm_db"].new_session().scalar(
            select(AuthSession).where(AuthSession.user_id == ada.id))
        assert row.remember and row.revoked_at is None
        assert row.expires_at - row.created_at == dt.timedelta(days=3)


@pytest.mark.parametrize("value", ["0", "-1", "two weeks", "400"])
def test_a_bad_crm_remember_days_stops_startup(crm_make_app, value):
    with pytest.raises(ConfigError, match="CRM_REMEMBER_DAYS"):
        crm_make_app(plugins=[], migrate=False, CRM_REMEMBER_DAYS=value)


def test_an_expired_session_signs_nobody_in(crm_make_app):
    app = crm_make_app(plugins=[])
    kernel_user(app, "ada")
    browser = app.test_client()
    sign_in(browser, "ada")
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        for row in session.scalars(select(AuthSession)):
            row.expires_at = row.created_at - dt.timedelta(seconds=1)
        session.commit()
    assert not signed_in(browser)


def test_changing_ones_password_signs_out_every_other_session(crm_make_app):
    app = crm_make_app(plugins=[])
    kernel_user(app, "ada")
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, "ada")
    sign_in(phone, "ada", remember=True)
    stolen = copied(phone, "session", "remember_token")

    changed = post_form(laptop, "/account/password", {
        "current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert changed.status_code == 302
    assert signed_in(laptop)  # the session that made the change stays
    assert not signed_in(phone)
    assert not signed_in(replay(app, stolen))


def test_a_new_password_from_an_admin_and_disabling_sign_the_user_out(crm_make_app):
    app = crm_make_app(plugins=[])
    ada = kernel_user(app, "ada")
    admin = login(app.test_client(), create_test_user(app, "root", superuser=True))
    browser = app.test_client()
    sign_in(browser, "ada", remember=True)
    stolen = copied(browser, "session", "remember_token")
    done = post_form(admin, f"/admin/users/{ada.id}/password",
                     {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302
    assert not signed_in(browser) and not signed_in(replay(app, stolen))

    sign_in(browser, "ada", NEW_PASSWORD)
    stolen = copied(browser, "session")
    assert post_form(admin, f"/admin/users/{ada.id}/disable", {}).status_code == 302
    assert not signed_in(browser)
    assert api_status(replay(app, stolen)) == 401
    # enabling the account again does not bring the old sessions back
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        session.get(type(ada), ada.id).is_active = True
        session.commit()
    assert not signed_in(replay(app, stolen))


def test_the_test_helper_login_makes_a_real_session_that_logout_ends(crm_make_app):
    app = crm_make_app(plugins=[])
    ada = kernel_user(app, "ada")
    client = login(app.test_client(), ada)
    stolen = copied(client, "session")
    assert signed_in(client)
    sign_out(client)
    assert not signed_in(replay(app, stolen))


def test_only_a_hash_of_the_session_key_is_stored(crm_make_app):
    app = crm_make_app(plugins=[])
    ada = kernel_user(app, "ada")
    client = login(app.test_client(), ada)
    with client.session_transaction() as cookie_session:
        key = cookie_session["_user_id"]
    assert key != str(ada.id) and len(key) >= 40
    with app.app_context():
        stored = app.extensions["crm_db"].new_session().scalar(
            select(AuthSession.key_hash).where(AuthSession.user_id == ada.id))
    assert stored != key and key not in stored


def test_the_cli_disabling_or_a_new_password_signs_the_user_out(crm_make_app):
    from crm_core.testing import invoke_cli

    app = crm_make_app(plugins=[])
    kernel_user(app, "ada")
    browser = app.test_client()
    sign_in(browser, "ada")
    result = invoke_cli(app, "users", "set-password", "ada", "--password", NEW_PASSWORD)
    assert result.exit_code == 0, result.output
    assert not signed_in(browser)
    sign_in(browser, "ada", NEW_PASSWORD)
    assert invoke_cli(app, "users", "disable", "ada").exit_code == 0
    assert not signed_in(browser)
