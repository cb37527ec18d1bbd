"""The worker's token cache (issue 11, throughput): a token seen a moment ago signs in without
a statement, and nothing it remembers outlives a change.

A revoked token, a disabled user, a withdrawn role or permission is refused or narrowed by
the very next request of the worker that made the change; a change made by another process
(another gunicorn worker, ``crm`` on the command line elsewhere) within
``CRM_API_TOKEN_CACHE_SECONDS``."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, event, select, text

from crm_core.api.models import ApiToken
from crm_core.api.token_cache import Entry, TokenCache
from crm_core.db import get_session
from crm_core.rbac.models import Role
from crm_core.rbac.service import assign_roles, role_permission_names, set_role_permissions
from crm_core.testing import create_test_user, invoke_cli

ME = "/api/v1/me"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def make_user(app, name: str, roles: list[str]) -> int:
    user = create_test_user(app, name)
    with app.app_context():
        session = get_session()
        assign_roles(session, user.id, roles)
        session.commit()
    return user.id


def new_token(app, username: str) -> str:
    result = invoke_cli(app, "tokens", "create", "--user", username)
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


def statements_of(app, request) -> list[str]:
    """The SQL one request ran."""
    seen: list[str] = []
    engine = app.extensions["crm_db"].engine

    def record(_conn, _cursor, sql, *_args):
        seen.append(" ".join(sql.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        request()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


@pytest.fixture
def app(crm_make_app):
    return crm_make_app(plugins=[])


@pytest.fixture
def sam(app):
    make_user(app, "sam", ["sales"])
    return bearer(new_token(app, "sam"))


def test_a_token_seen_a_moment_ago_signs_in_without_a_statement(app, sam):
    client = app.test_client()
    first = statements_of(app, lambda: client.get(ME, headers=sam))
    again = statements_of(app, lambda: client.get(ME, headers=sam))
    assert any("core_api_token" in sql for sql in first)
    assert not any("core_api_token" in sql or "core_permission" in sql for sql in again)
    # what the token signs in as is the same either way
    assert client.get(ME, headers=sam).get_json()["username"] == "sam"


def test_noting_a_tokens_use_keeps_it_remembered(app, sam):
    """The first use writes ``last_used_at`` (once a minute): that write is bookkeeping and
    neither empties the cache nor happens again on the next request."""
    client = app.test_client()
    client.get(ME, headers=sam)
    with app.app_context():
        noted = get_session().scalar(select(ApiToken.last_used_at))
    assert noted is not None
    again = statements_of(app, lambda: client.get(ME, headers=sam))
    assert not any("core_api_token" in sql for sql in again)


def test_a_token_revoked_in_this_worker_is_refused_by_the_next_request(app, sam):
    client = app.test_client()
    assert client.get(ME, headers=sam).status_code == 200
    token_id = invoke_cli(app, "tokens", "list").output.splitlines()[1].split()[0]
    assert invoke_cli(app, "tokens", "revoke", token_id).exit_code == 0
    assert client.get(ME, headers=sam).status_code == 401


def test_a_token_revoked_through_the_api_is_refused_by_the_next_request(app, sam):
    client = app.test_client()
    other = client.post("/api/v1/tokens", json={"name": "sync"}, headers=sam).get_json()
    assert client.get(ME, headers=bearer(other["token"])).status_code == 200
    assert client.delete(f"/api/v1/tokens/{other['id']}", headers=sam).status_code == 204
    assert client.get(ME, headers=bearer(other["token"])).status_code == 401
    assert client.get(ME, headers=sam).status_code == 200


def test_a_disabled_user_is_refused_by_the_next_request(app, sam):
    client = app.test_client()
    assert client.get(ME, headers=sam).status_code == 200
    assert invoke_cli(app, "users", "disable", "sam").exit_code == 0
    assert client.get(ME, headers=sam).status_code == 401


def test_a_withdrawn_role_or_permission_shows_on_the_next_request(app):
    user_id = make_user(app, "sam", ["sales", "manager"])
    headers = bearer(new_token(app, "sam"))
    client = app.test_client()
    before = client.get(ME, headers=headers).get_json()
    assert before["roles"] == ["manager", "sales"]
    with app.app_context():
        session = get_session()
        assign_roles(session, user_id, ["sales"])
        session.commit()
    after = client.get(ME, headers=headers).get_json()
    assert after["roles"] == ["sales"]
    with app.app_context():
        session = get_session()
        sales = session.scalar(select(Role).where(Role.name == "sales"))
        granted = role_permission_names(session, sales.id)
        gone = sorted(granted)[0]
        set_role_permissions(session, sales.id, granted - {gone})
        session.commit()
    assert gone in after["permissions"]
    assert gone not in client.get(ME, headers=headers).get_json()["permissions"]


def test_a_change_made_by_another_process_shows_within_the_cache_time(crm_make_app):
    """Another process's write cannot empty this worker's memory: the entry expires."""
    app = crm_make_app(plugins=[], CRM_API_TOKEN_CACHE_SECONDS=1)
    make_user(app, "sam", ["sales"])
    headers = bearer(new_token(app, "sam"))
    client = app.test_client()
    assert client.get(ME, headers=headers).status_code == 200
    elsewhere = create_engine(app.config["CRM_DATABASE_URL"])
    with elsewhere.begin() as connection:
        connection.execute(text("UPDATE core_api_token SET revoked_at = CURRENT_TIMESTAMP"))
    elsewhere.dispose()
    began = time.monotonic()
    while client.get(ME, headers=headers).status_code == 200:
        assert time.monotonic() - began < 1.5, "a revoked token outlived the cache time"
        time.sleep(0.1)


def test_no_cache_when_its_time_is_zero(crm_make_app):
    app = crm_make_app(plugins=[], CRM_API_TOKEN_CACHE_SECONDS=0)
    make_user(app, "sam", ["sales"])
    headers = bearer(new_token(app, "sam"))
    client = app.test_client()
    client.get(ME, headers=headers)
    again = statements_of(app, lambda: client.get(ME, headers=headers))
    assert any("core_api_token" in sql for sql in again)


def test_an_entry_read_while_the_cache_was_emptied_is_not_kept():
    cache = TokenCache(5)
    entry = Entry({"id": 1}, {"id": 1}, None, None, time.monotonic() + 5)
    generation = cache.generation
    cache.clear()  # a change committed while the entry was being read
    cache.put("hash", entry, generation)
    assert cache.get("hash") is None
    cache.put("hash", entry, cache.generation)
    assert cache.get("hash") is entry


@pytest.mark.postgres
def test_on_postgresql_changes_reach_the_cache_as_on_sqlite(crm_make_app):
    app = crm_make_app(plugins=[], database="postgresql", CRM_API_TOKEN_CACHE_SECONDS=1)
    make_user(app, "sam", ["sales"])
    headers = bearer(new_token(app, "sam"))
    client = app.test_client()
    other = client.post("/api/v1/tokens", json={"name": "sync"}, headers=headers).get_json()
    others = bearer(other["token"])
    assert client.get(ME, headers=others).status_code == 200
    again = statements_of(app, lambda: client.get(ME, headers=others))
    assert not any("core_api_token" in sql for sql in again)
    assert client.delete(f"/api/v1/tokens/{other['id']}", headers=headers).status_code == 204
    assert client.get(ME, headers=others).status_code == 401  # this worker: at once
    assert client.get(ME, headers=headers).status_code == 200
    elsewhere = create_engine(app.config["CRM_DATABASE_URL"])
    with elsewhere.begin() as connection:
        connection.execute(text("UPDATE core_user SET is_active = false"))
    elsewhere.dispose()
    began = time.monotonic()
    while client.get(ME, headers=headers).status_code == 200:  # another process: expiry
        assert time.monotonic() - began < 1.5, "a disabled user outlived the cache time"
        time.sleep(0.1)


def test_a_cache_time_that_is_not_a_number_stops_the_app(crm_make_app):
    from crm_core.errors import ConfigError

    with pytest.raises(ConfigError, match="CRM_API_TOKEN_CACHE_SECONDS"):
        crm_make_app(plugins=[], CRM_API_TOKEN_CACHE_SECONDS="soon")
