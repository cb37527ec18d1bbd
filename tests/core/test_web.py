"""Health checks, sign-in, CSRF and route guards, as a browser or a probe sees them."""

from __future__ import annotations

import re

import pytest
from werkzeug.routing import IntegerConverter

from crm_core.auth.permissions import check_every_route_guarded, route_permission
from crm_core.errors import RegistryError
from crm_core.testing import create_test_user, login


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def test_healthz_answers_while_the_process_is_up(crm_make_app):
    app = crm_make_app(migrate=False, CRM_DATABASE_URL="postgresql+psycopg://u@127.0.0.1:1/x")
    response = app.test_client().get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_readyz_is_ready_when_migrated_and_broker_reachable(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready",
                                   "checks": {"database": "ok", "broker": "ok"},
                                   "plugins": {"broken": []}}


def test_readyz_names_an_unreachable_broker(crm_make_app):
    app = crm_make_app(CRM_BROKER_URL="redis://127.0.0.1:1/0", CRM_READY_TIMEOUT=0.5)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"].startswith("unreachable")


def test_readyz_names_an_unreachable_database(crm_make_app):
    app = crm_make_app(migrate=False,
                       CRM_DATABASE_URL="postgresql+psycopg://u@127.0.0.1:1/x")
    body = app.test_client().get("/readyz").get_json()
    assert body["status"] == "not ready"
    assert body["checks"]["database"].startswith("unreachable")


def test_login_page_has_a_csrf_protected_form(client):
    response = client.get("/login")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert csrf_token(html)
    assert 'autocomplete="current-password"' in html


def test_signing_in_leads_to_the_dashboard(crm_app, client):
    create_test_user(crm_app, "ada", "long-enough-pw", superuser=True)
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"csrf_token": token, "username": "ADA",
                                           "password": "long-enough-pw"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "Dashboard" in client.get("/").get_data(as_text=True)


def test_wrong_password_shows_an_error_and_signs_nobody_in(crm_app, client):
    create_test_user(crm_app, "ada", "long-enough-pw")
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"csrf_token": token, "username": "ada",
                                           "password": "wrong-password"})
    assert response.status_code == 400
    assert "Wrong user name or password." in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_login_without_csrf_token_is_refused(crm_app, client):
    create_test_user(crm_app, "ada", "long-enough-pw")
    response = client.post("/login", data={"username": "ada", "password": "long-enough-pw"})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_login_never_redirects_to_another_site(crm_app, client):
    create_test_user(crm_app, "ada", "long-enough-pw")
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login?next=https://evil.example/", data={
        "csrf_token": token, "username": "ada", "password": "long-enough-pw"})
    assert response.headers["Location"] == "/"


def test_logout_needs_a_post_and_ends_the_session(crm_app, admin_client):
    assert admin_client.get("/logout").status_code == 405
    html = admin_client.get("/").get_data(as_text=True)
    response = admin_client.post("/logout", data={"csrf_token": csrf_token(html)})
    assert response.status_code == 302
    assert admin_client.get("/").status_code == 302


def test_a_disabled_user_is_signed_out(crm_app):
    user = create_test_user(crm_app, "gone", superuser=True)
    client = login(crm_app.test_client(), user)
    assert client.get("/").status_code == 200
    with crm_app.app_context():
        session = crm_app.extensions["crm_db"].new_session()
        from crm_core.auth.models import User

        session.get(User, user.id).is_active = False
        session.commit()
    assert client.get("/").status_code == 302


def test_empty_dashboard_explains_itself_with_the_kernel_alone(crm_make_app):
    app = crm_make_app(plugins=[])
    client = login(app.test_client(), create_test_user(app, "root", superuser=True))
    assert "No reports yet" in client.get("/").get_data(as_text=True)


def _sample_url(rule) -> str:
    values = {arg: 1 if isinstance(rule._converters[arg], IntegerConverter) else "x"
              for arg in rule.arguments}
    return rule.build(values, append_unknown=False)[1]


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_route_declares_a_permission(crm_app):
    undeclared = [rule.rule for rule in crm_app.url_map.iter_rules()
                  if route_permission(crm_app, rule.endpoint) is None]
    assert undeclared == []


def test_strict_mode_refuses_an_unguarded_route(crm_make_app):
    app = crm_make_app(migrate=False)
    app.add_url_rule("/leaky", "leaky", lambda: "secret")
    with pytest.raises(RegistryError, match="/leaky"):
        check_every_route_guarded(app)


@pytest.mark.parametrize("who", ["anonymous", "no-permissions", "superuser"])
def test_every_route_answers_without_a_server_error(crm_app, who):
    app = crm_app
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    user = None if who == "anonymous" else create_test_user(app, who,
                                                            superuser=who == "superuser")
    for rule, method in _routes(app):
        if user is not None:
            login(client, user)  # again each time: the walk includes POST /logout
        url = _sample_url(rule)
        response = client.open(url, method=method)
        permission = route_permission(app, rule.endpoint)
        assert response.status_code < 500, f"{method} {url} as {who}: {response.status_code}"
        if who == "anonymous" and permission != "public":
            expected = 401 if url.startswith("/api/") else 302
            assert response.status_code == expected, f"{method} {url} as {who}"
        if who == "no-permissions" and permission not in ("public", "authenticated"):
            assert response.status_code == 403, f"{method} {url} as {who}"


def test_a_refused_business_rule_is_a_clear_422_not_a_500(crm_make_app):
    from crm_core.errors import DomainError
    from crm_core.toolkit import public

    app = crm_make_app(migrate=False)

    @public
    def refuse():
        raise DomainError("A note needs a title.")

    app.add_url_rule("/api/v1/refuse", "refuse_api", refuse)
    app.add_url_rule("/refuse", "refuse_page", refuse)
    client = app.test_client()
    api = client.get("/api/v1/refuse")
    assert api.status_code == 422 and api.content_type == "application/problem+json"
    assert api.get_json()["detail"] == "A note needs a title."
    page = client.get("/refuse")
    assert page.status_code == 422 and "A note needs a title." in page.get_data(as_text=True)


def test_a_domain_error_may_say_not_found(crm_make_app):
    from crm_core.errors import DomainError
    from crm_core.toolkit import public

    class NoSuchThing(DomainError):
        status = 404

    app = crm_make_app(migrate=False)

    @public
    def missing():
        raise NoSuchThing("There is no such thing, or you may not see it.")

    app.add_url_rule("/api/v1/missing", "missing_api", missing)
    app.add_url_rule("/missing", "missing_page", missing)
    client = app.test_client()
    api = client.get("/api/v1/missing")
    assert api.status_code == 404 and api.content_type == "application/problem+json"
    assert api.get_json()["detail"] == "There is no such thing, or you may not see it."
    page = client.get("/missing")
    assert page.status_code == 404
    assert "There is no such thing" in page.get_data(as_text=True)


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Back to the dashboard" in response.get_data(as_text=True)
