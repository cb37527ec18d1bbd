"""The REST API kit as an integrator meets it: tokens, errors, lists, OpenAPI, limits, CSRF."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid

import pytest
from sqlalchemy import inspect, select, text

from crm_core.api.models import ApiToken
from crm_core.db import get_session
from crm_core.rbac.service import assign_roles
from crm_core.testing import create_test_user, invoke_cli, login

PROBLEM = "application/problem+json"

GADGETS = '''
    from flask import Blueprint, abort
    from marshmallow import Schema, fields, validate

    from crm_core.toolkit import (DomainError, Permission, PluginInfo, RoleSpec, api_endpoint,
                                  hookimpl, public, require_permission)

    PLUGIN = PluginInfo(name="gadgets", version="0.1", title="Gadgets")
    bp = Blueprint("gadgets", __name__)


    class NameTaken(DomainError):
        field = "name"


    class GadgetIn(Schema):
        name = fields.String(required=True, validate=validate.Length(min=1, max=40))
        size = fields.Integer(required=True, validate=validate.Range(min=1, max=10))


    class GadgetOut(GadgetIn):
        id = fields.Integer()


    @api_endpoint(bp, "/api/v1/gadgets", methods=["POST"], permission="gadgets.gadget.create",
                  body=GadgetIn, response=GadgetOut, status=201, summary="Create a gadget")
    def create_gadget(body):
        if body["name"] == "taken":
            raise NameTaken("A gadget called 'taken' exists already.")
        return {"id": 7, **body}


    @api_endpoint(bp, "/api/v1/gadgets/<int:gadget_id>", permission="gadgets.gadget.view",
                  response=GadgetOut)
    def gadget(gadget_id):
        """One gadget."""
        if gadget_id != 7:
            abort(404)
        return {"id": 7, "name": "lamp", "size": 3}


    @bp.get("/api/v1/gadgets/legacy")
    @require_permission("gadgets.gadget.view")
    def legacy():
        """A gadget route written without the API kit."""
        return {"ok": True}


    @bp.get("/api/v1/gadgets/boom")
    @public
    def boom():
        """Always fails."""
        raise RuntimeError("the database caught fire")


    @hookimpl
    def crm_blueprints():
        return [bp]


    @hookimpl
    def crm_permissions():
        return [Permission("gadgets.gadget.view", "View gadgets"),
                Permission("gadgets.gadget.create", "Create gadgets")]


    @hookimpl
    def crm_roles():
        return [RoleSpec("viewer", "Viewer", ("gadgets.gadget.view",)),
                RoleSpec("sales", "Sales rep", ("gadgets.*",))]
'''


# -- helpers -------------------------------------------------------------------------------

def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def make_user(app, name: str, roles: list[str] | None = None, superuser: bool = False):
    user = create_test_user(app, name, superuser=superuser)
    if roles:
        with app.app_context():
            session = get_session()
            assign_roles(session, user.id, roles)
            session.commit()
    return user


def cli_token(app, username: str, name: str = "") -> str:
    args = ["tokens", "create", "--user", username] + (["--name", name] if name else [])
    result = invoke_cli(app, *args)
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == PROBLEM
    body = response.get_json()
    assert body["status"] == status
    assert {"type", "title", "status", "detail", "instance"} <= set(body)
    return body


@pytest.fixture
def gadgets(crm_install_plugin):
    crm_install_plugin("gadgets", GADGETS)


@pytest.fixture
def kernel_app(crm_make_app):
    return crm_make_app(plugins=[])


# -- tokens --------------------------------------------------------------------------------

def test_a_token_made_on_the_command_line_reaches_me(kernel_app):
    make_user(kernel_app, "sam", ["sales"])
    result = invoke_cli(kernel_app, "tokens", "create", "--user", "sam", "--name", "laptop")
    assert result.exit_code == 0
    token = result.output.strip().splitlines()[-1]
    assert re.fullmatch(r"crm_[0-9a-f]{8}_[A-Za-z0-9_-]{40,}", token)

    response = kernel_app.test_client().get("/api/v1/me", headers=bearer(token))
    assert response.status_code == 200
    assert response.get_json() == {"username": "sam", "roles": ["sales"],
                                   "permissions": ["core.approvals.decide",
                                                   "core.attachment.edit",
                                                   "core.attachment.view", "core.job.view",
                                                   "core.token.manage"]}


def test_a_superuser_is_listed_with_every_permission(kernel_app):
    make_user(kernel_app, "root", superuser=True)
    body = kernel_app.test_client().get("/api/v1/me", headers=bearer(
        cli_token(kernel_app, "root"))).get_json()
    assert body["permissions"] == sorted(kernel_app.extensions["crm"].permissions)
    assert "core.user.manage" in body["permissions"]


def test_a_token_for_an_unknown_user_is_refused_on_the_command_line(kernel_app):
    result = invoke_cli(kernel_app, "tokens", "create", "--user", "nobody")
    assert result.exit_code == 2
    assert "no user called 'nobody'" in result.output


def test_tokens_are_stored_hashed_and_never_in_plain_text(kernel_app):
    make_user(kernel_app, "sam", ["sales"])
    token = cli_token(kernel_app, "sam", "ci")
    kernel_app.test_client().get("/api/v1/me", headers=bearer(token))
    secret = token.rsplit("_", 1)[-1] if token.count("_") == 2 else token[13:]
    with kernel_app.app_context():
        session = get_session()
        row = session.scalar(select(ApiToken))
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token.startswith(f"crm_{row.prefix}_")
        # Not in any column of any table (the operation log included).
        for table in inspect(session.get_bind()).get_table_names():
            for values in session.execute(text(f'SELECT * FROM "{table}"')):
                dumped = " ".join(str(value) for value in values)
                assert token not in dumped and secret[:20] not in dumped, table


def test_the_token_list_never_shows_secrets(kernel_app):
    make_user(kernel_app, "sam", ["sales"])
    token = cli_token(kernel_app, "sam", "ci")
    listed = invoke_cli(kernel_app, "tokens", "list", "--user", "sam").output
    assert "ci" in listed and "active" in listed and token not in listed
    body = kernel_app.test_client().get("/api/v1/tokens", headers=bearer(token)).get_json()
    assert [item["name"] for item in body["items"]] == ["ci"]
    assert "token" not in body["items"][0] and "token_hash" not in body["items"][0]


def test_a_revoked_or_unknown_token_is_refused_with_a_401_problem(kernel_app):
    make_user(kernel_app, "sam", ["sales"])
    token = cli_token(kernel_app, "sam")
    client = kernel_app.test_client()
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200

    token_id = invoke_cli(kernel_app, "tokens", "list").output.splitlines()[1].split()[0]
    result = invoke_cli(kernel_app, "tokens", "revoke", token_id)
    assert result.exit_code == 0 and "Revoked" in result.output

    body = assert_problem(client.get("/api/v1/me", headers=bearer(token)), 401)
    assert "revoked" in body["detail"]
    assert_problem(client.get("/api/v1/me", headers=bearer(token[:-2] + "xx")), 401)
    assert_problem(client.get("/api/v1/me"), 401)
    assert "revoked" in invoke_cli(kernel_app, "tokens", "list").output


def test_a_disabled_users_token_stops_working(kernel_app):
    user = make_user(kernel_app, "sam", ["sales"])
    token = cli_token(kernel_app, "sam")
    with kernel_app.app_context():
        session = get_session()
        session.get(type(user), user.id).is_active = False
        session.commit()
    assert_problem(kernel_app.test_client().get("/api/v1/me", headers=bearer(token)), 401)


def test_last_used_time_is_written_at_most_once_a_minute(kernel_app):
    make_user(kernel_app, "sam", ["sales"])
    token = cli_token(kernel_app, "sam")
    client = kernel_app.test_client()

    def last_used():
        with kernel_app.app_context():
            return get_session().scalar(select(ApiToken.last_used_at))

    assert last_used() is None
    client.get("/api/v1/me", headers=bearer(token))
    first = last_used()
    assert first is not None
    client.get("/api/v1/me", headers=bearer(token))
    assert last_used() == first

    with kernel_app.app_context():
        session = get_session()
        session.scalar(select(ApiToken)).last_used_at = first - dt.timedelta(minutes=2)
        session.commit()
    client.get("/api/v1/me", headers=bearer(token))
    assert last_used() > first - dt.timedelta(seconds=1)


def test_tokens_can_be_made_and_revoked_through_the_api(kernel_app):
    make_user(kernel_app, "sam", ["sales"])
    client = kernel_app.test_client()
    token = cli_token(kernel_app, "sam")

    created = client.post("/api/v1/tokens", json={"name": "erp sync"}, headers=bearer(token))
    assert created.status_code == 201
    body = created.get_json()
    assert body["name"] == "erp sync" and body["token"].startswith(f"crm_{body['prefix']}_")
    assert client.get("/api/v1/me", headers=bearer(body["token"])).status_code == 200

    assert client.delete(f"/api/v1/tokens/{body['id']}", headers=bearer(token)).status_code == 204
    assert_problem(client.get("/api/v1/me", headers=bearer(body["token"])), 401)


def test_nobody_can_revoke_another_users_token(kernel_app):
    make_user(kernel_app, "sam", ["sales"])
    make_user(kernel_app, "kim", ["sales"])
    sams = cli_token(kernel_app, "sam")
    kims = cli_token(kernel_app, "kim")
    client = kernel_app.test_client()
    assert_problem(client.delete("/api/v1/tokens/1", headers=bearer(kims)), 404)
    assert client.get("/api/v1/me", headers=bearer(sams)).status_code == 200


# -- the token page ------------------------------------------------------------------------

def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def test_the_token_page_shows_a_new_token_once_and_revokes_after_confirmation(kernel_app):
    user = make_user(kernel_app, "sam", ["sales"])
    client = login(kernel_app.test_client(), user)
    page = client.get("/account/tokens")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="no-tokens"' in html

    created = client.post("/account/tokens", data={"csrf_token": csrf_from(html),
                                                   "name": "reporting"})
    assert created.status_code == 200
    html = created.get_data(as_text=True)
    token = re.search(r'id="new-token" value="(crm_[^"]+)"', html).group(1)
    assert "data-crm-copy" in html and "reporting" in html
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200

    again = client.get("/account/tokens").get_data(as_text=True)
    assert token not in again and f"crm_{token.split('_')[1]}_" in again

    with kernel_app.app_context():
        token_id = get_session().scalar(select(ApiToken.id))
    confirm = client.get(f"/account/tokens/{token_id}/revoke")
    assert confirm.status_code == 200 and "Revoke" in confirm.get_data(as_text=True)
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200  # asked only
    done = client.post(f"/account/tokens/{token_id}/revoke",
                       data={"csrf_token": csrf_from(confirm.get_data(as_text=True))})
    assert done.status_code == 302
    assert_problem(client.get("/api/v1/me", headers=bearer(token)), 401)
    assert "revoked" in client.get("/account/tokens").get_data(as_text=True)


def test_a_viewer_cannot_open_the_token_page(kernel_app):
    client = login(kernel_app.test_client(), make_user(kernel_app, "vera", ["viewer"]))
    assert client.get("/account/tokens").status_code == 403


# -- permissions, errors -------------------------------------------------------------------

@pytest.mark.usefixtures("gadgets")
def test_a_viewer_token_reads_but_is_refused_writes_with_a_403_problem(crm_make_app):
    app = crm_make_app(plugins=["gadgets"])
    make_user(app, "vera", ["viewer"])
    make_user(app, "sam", ["sales"])
    client = app.test_client()
    viewer = cli_token(app, "vera")

    assert client.get("/api/v1/gadgets/7", headers=bearer(viewer)).get_json()["name"] == "lamp"
    body = assert_problem(client.post("/api/v1/gadgets", json={"name": "x", "size": 1},
                                      headers=bearer(viewer)), 403)
    assert body["instance"] == "/api/v1/gadgets"
    assert_problem(client.post("/api/v1/tokens", json={"name": "more"},
                               headers=bearer(viewer)), 403)

    sales = cli_token(app, "sam")
    created = client.post("/api/v1/gadgets", json={"name": "x", "size": 1},
                          headers=bearer(sales))
    assert created.status_code == 201 and created.get_json() == {"id": 7, "name": "x", "size": 1}


@pytest.mark.usefixtures("gadgets")
def test_invalid_fields_answer_422_with_a_message_per_field(crm_make_app):
    app = crm_make_app(plugins=["gadgets"])
    make_user(app, "sam", ["sales"])
    client = app.test_client()
    headers = bearer(cli_token(app, "sam"))

    body = assert_problem(client.post("/api/v1/gadgets", json={"size": 99, "colour": "red"},
                                      headers=headers), 422)
    assert set(body["errors"]) == {"name", "size", "colour"}
    assert body["errors"]["name"] == ["Missing data for required field."]

    refused = assert_problem(client.post("/api/v1/gadgets", json={"name": "taken", "size": 2},
                                         headers=headers), 422)
    assert refused["errors"] == {"name": ["A gadget called 'taken' exists already."]}

    no_json = assert_problem(client.post("/api/v1/gadgets", data="name=x", headers=headers), 422)
    assert "_schema" in no_json["errors"]


def test_unknown_addresses_and_methods_answer_problems_never_html(kernel_app):
    make_user(kernel_app, "sam", ["sales"])
    client = kernel_app.test_client()
    headers = bearer(cli_token(kernel_app, "sam"))
    assert_problem(client.get("/api/v1/no-such-thing", headers=headers), 404)
    assert_problem(client.get("/api/v1/jobs/424242", headers=headers), 404)
    not_allowed = client.put("/api/v1/me", headers=headers)
    assert_problem(not_allowed, 405)
    assert "GET" in not_allowed.headers["Allow"]


@pytest.mark.usefixtures("gadgets")
def test_a_server_error_under_the_api_is_a_500_problem_without_details(crm_make_app):
    app = crm_make_app(plugins=["gadgets"])
    app.config["PROPAGATE_EXCEPTIONS"] = False
    body = assert_problem(app.test_client().get("/api/v1/gadgets/boom"), 500)
    assert "fire" not in body["detail"]


# -- lists ---------------------------------------------------------------------------------

def test_a_limit_above_200_is_refused_naming_the_field(kernel_app):
    make_user(kernel_app, "sam", ["sales"])
    client = kernel_app.test_client()
    headers = bearer(cli_token(kernel_app, "sam"))
    body = assert_problem(client.get("/api/v1/tokens?limit=201", headers=headers), 422)
    assert list(body["errors"]) == ["limit"]
    assert client.get("/api/v1/tokens?limit=200", headers=headers).status_code == 200
    bad_cursor = assert_problem(client.get("/api/v1/tokens?cursor=!!nope", headers=headers), 422)
    assert list(bad_cursor["errors"]) == ["cursor"]


def test_cursor_pages_walk_every_item_exactly_once(kernel_app):
    make_user(kernel_app, "sam", ["sales"])
    client = kernel_app.test_client()
    headers = bearer(cli_token(kernel_app, "sam"))
    for number in range(9):
        client.post("/api/v1/tokens", json={"name": f"t{number}"}, headers=headers)

    seen, cursor, pages = [], None, 0
    while True:
        url = "/api/v1/tokens?limit=4" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url, headers=headers).get_json()
        seen += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == sorted(seen, reverse=True) and sorted(seen) == list(range(1, 11))


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgresql",
                                                             marks=pytest.mark.postgres)])
def test_paginate_keeps_ties_and_dates_in_order_without_repeats(crm_make_app, database):
    from crm_core.api.pagination import paginate
    from crm_core.api.tokens import create_token

    app = crm_make_app(plugins=[], database=database)
    user = make_user(app, "sam", ["sales"])
    with app.app_context():
        session = get_session()
        owner = session.get(type(user), user.id)
        for number in range(11):
            create_token(session, owner, ["alpha", "beta", "gamma"][number % 3])
        session.commit()
        for sort, descending in [(ApiToken.name, False), (ApiToken.created_at, True),
                                 (None, False)]:
            walked, cursor = [], None
            while True:
                page = paginate(session, select(ApiToken), sort=sort, descending=descending,
                                limit=2, cursor=cursor)
                walked += page.items
                cursor = page.next_cursor
                if cursor is None:
                    break
            assert len(walked) == 11 and len({token.id for token in walked}) == 11
            if sort is ApiToken.name:
                assert [token.name for token in walked] == sorted(token.name
                                                                  for token in walked)


# -- the OpenAPI document and the docs page ------------------------------------------------

@pytest.mark.usefixtures("gadgets")
def test_openapi_document_is_valid_and_covers_every_api_route(crm_make_app):
    from openapi_spec_validator import validate

    app = crm_make_app(plugins=None)
    client = login(app.test_client(), make_user(app, "root", superuser=True))
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    validate(document)
    assert document["openapi"].startswith("3.")

    routes = {(re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule), method.lower())
              for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(path, method) for path, operations in document["paths"].items()
                  for method in operations}
    assert routes == documented

    create = document["paths"]["/api/v1/gadgets"]["post"]
    assert create["summary"] == "Create a gadget"
    assert create["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/GadgetIn"}
    assert {"201", "403", "422"} <= set(create["responses"])
    assert document["components"]["schemas"]["GadgetIn"]["required"] == ["name", "size"]
    legacy = document["paths"]["/api/v1/gadgets/legacy"]["get"]
    assert legacy["summary"] == "A gadget route written without the API kit."
    me = document["paths"]["/api/v1/me"]["get"]
    assert me["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/MeOut"}
    listing = document["paths"]["/api/v1/tokens"]["get"]
    assert {parameter["name"] for parameter in listing["parameters"]} == {
        "limit", "cursor", "before"}
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_api_docs_load_only_local_assets(kernel_app):
    client = login(kernel_app.test_client(), make_user(kernel_app, "sam", ["sales"]))
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assets = re.findall(r'<(?:script|link|img)\b[^>]*?\b(?:src|href)="([^"]+)"', html)
    assert any(url.endswith("swagger-ui-bundle.js") for url in assets)
    assert any(url.endswith("swagger-ui.css") for url in assets)
    assert "<script>" not in html  # no inline script
    for url in assets:
        assert url.startswith("/") and not url.startswith("//"), url
        if "/static/" in url:
            asset = client.get(url)
            assert asset.status_code == 200, url
            if url.endswith("api-docs.js"):
                assert "http" not in asset.get_data(as_text=True)
            asset.close()
    assert 'data-spec-url="/api/v1/openapi.json"' in html


# -- rate limits ---------------------------------------------------------------------------

@pytest.mark.parametrize("storage", ["crm-memory", "memory",
                                     pytest.param("redis", marks=pytest.mark.redis)])
def test_too_many_requests_answer_429_with_retry_after(crm_make_app, request, storage):
    url = request.getfixturevalue("redis_url") if storage == "redis" else f"{storage}://"
    app = crm_make_app(plugins=[], CRM_API_RATE_LIMIT="3 per minute",
                       CRM_RATELIMIT_STORAGE_URL=url,
                       CRM_RATELIMIT_KEY_PREFIX=f"crm-test-{uuid.uuid4().hex[:8]}")
    user = make_user(app, "sam", ["sales"])
    first, second = cli_token(app, "sam"), cli_token(app, "sam")
    client = app.test_client()

    assert [client.get("/api/v1/me", headers=bearer(first)).status_code
            for _ in range(3)] == [200, 200, 200]
    refused = client.get("/api/v1/me", headers=bearer(first))
    body = assert_problem(refused, 429)
    assert "3 per 1 minute" in body["detail"]
    assert 0 < int(refused.headers["Retry-After"]) <= 60

    # Each token has its own budget; pages outside /api/ are not limited.
    assert client.get("/api/v1/me", headers=bearer(second)).status_code == 200
    browser = login(app.test_client(), user)
    assert [browser.get("/account/tokens").status_code for _ in range(5)] == [200] * 5


def test_the_default_counters_forget_ended_windows_without_a_thread_per_request():
    import threading
    import time

    from crm_core.api.limit_storage import SweptMemoryStorage

    storage = SweptMemoryStorage()
    threads = threading.active_count()
    assert [storage.incr(f"user:{n}", 0.05) for n in range(3)] == [1, 1, 1]
    assert storage.incr("user:0", 0.05) == 2
    assert threading.active_count() <= threads  # no timer thread started by counting
    time.sleep(0.06)
    assert storage.incr("user:0", 0.05) == 1  # a new window starts from zero
    assert storage.sweep() == 2  # the two counters nobody read again are dropped
    assert set(storage.storage) == {"user:0"}


# -- CSRF ----------------------------------------------------------------------------------

def test_a_cookie_session_write_needs_the_csrf_token_but_a_bearer_write_does_not(kernel_app):
    user = make_user(kernel_app, "sam", ["sales"])
    browser = login(kernel_app.test_client(), user)
    assert browser.get("/api/v1/me").get_json()["username"] == "sam"  # session works for reads

    refused = browser.post("/api/v1/tokens", json={"name": "forged"})
    assert_problem(refused, 400)
    meta = re.search(r'name="csrf-token" content="([^"]+)"',
                     browser.get("/account/tokens").get_data(as_text=True)).group(1)
    allowed = browser.post("/api/v1/tokens", json={"name": "mine"},
                           headers={"X-CSRFToken": meta})
    assert allowed.status_code == 201

    machine = kernel_app.test_client(use_cookies=False)
    token = cli_token(kernel_app, "sam")
    assert machine.post("/api/v1/tokens", json={"name": "ci"},
                        headers=bearer(token)).status_code == 201
    with kernel_app.app_context():
        names = set(get_session().scalars(select(ApiToken.name)))
    assert "forged" not in names and {"mine", "ci"} <= names
