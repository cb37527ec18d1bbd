"""The error path: a write that fails on PostgreSQL still answers a proper 500 (or a 400 for
a value the database refuses), logs one JSON line, and leaves the worker healthy."""

from __future__ import annotations

import json

import pytest
from flask_login import current_user

from crm_core.auth.models import User
from crm_core.testing import create_test_user, login
from crm_core.toolkit import db, require_permission

PG = "postgresql"


def _error_lines(out: str) -> list[dict]:
    lines = [json.loads(line) for line in out.strip().splitlines() if line.startswith("{")]
    return [line for line in lines if line["level"] == "ERROR"]


@pytest.fixture
def failing_app(crm_make_app):
    """An app on PostgreSQL with views whose writes fail in the database."""
    app = crm_make_app(plugins=[], database=PG, PROPAGATE_EXCEPTIONS=False)

    @require_permission()
    def duplicate():
        name = current_user.username  # the user is loaded before the flush fails
        db.session.add(User(username=name, password_hash="x"))
        db.session.flush()  # unique violation
        return "unreachable"

    @require_permission()
    def too_long():
        current_user.display_name = "x" * 500  # varchar(120)
        db.session.flush()
        return "unreachable"

    @require_permission()
    def out_of_range():
        db.session.get(User, current_user.id).department_id = 2**40
        db.session.flush()
        return "unreachable"

    @require_permission()
    def whoami():
        return current_user.username

    for path, view in (("duplicate", duplicate), ("too-long", too_long),
                       ("out-of-range", out_of_range), ("whoami", whoami)):
        app.add_url_rule(f"/edge/{path}", f"page_{view.__name__}", view, methods=["POST"])
        app.add_url_rule(f"/api/v1/edge/{path}", f"api_{view.__name__}", view,
                         methods=["POST"])
    app.config["WTF_CSRF_ENABLED"] = False
    user = create_test_user(app, "ada", superuser=True)
    return app, login(app.test_client(), user)


def test_a_failed_write_answers_a_500_page_and_the_next_request_works(failing_app, capfd):
    app, client = failing_app
    capfd.readouterr()
    page = client.post("/edge/duplicate")
    assert page.status_code == 500
    html = page.get_data(as_text=True)
    assert "<!doctype html>" in html and "500" in html and "crm-error" in html
    assert "UniqueViolation" not in html and "core_user" not in html
    [line] = _error_lines(capfd.readouterr().out)
    assert line["request_id"] == page.headers["X-Request-ID"]
    assert "UniqueViolation" in line["exc_info"] and line["user_id"] is not None
    again = client.post("/edge/whoami")
    assert again.status_code == 200 and again.get_data(as_text=True) == "ada"


def test_a_failed_write_under_api_is_a_problem_500(failing_app, capfd):
    app, client = failing_app
    capfd.readouterr()
    response = client.post("/api/v1/edge/duplicate")
    assert response.status_code == 500
    assert response.content_type == "application/problem+json"
    body = response.get_json()
    assert body["status"] == 500 and "core_user" not in json.dumps(body)
    [line] = _error_lines(capfd.readouterr().out)
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert client.post("/api/v1/edge/whoami").status_code == 200


@pytest.mark.parametrize("path", ["too-long", "out-of-range"])
def test_a_value_the_database_refuses_is_a_400_without_its_words(failing_app, path):
    app, client = failing_app
    api = client.post(f"/api/v1/edge/{path}")
    assert api.status_code == 400 and api.content_type == "application/problem+json"
    text = api.get_data(as_text=True)
    assert "character varying" not in text and "out of range for type" not in text
    page = client.post(f"/edge/{path}")
    assert page.status_code == 400 and "crm-error" in page.get_data(as_text=True)
    assert client.post("/edge/whoami").get_data(as_text=True) == "ada"


def test_a_nul_reaching_the_driver_is_a_400(crm_make_app):
    app = crm_make_app(plugins=[], database=PG, PROPAGATE_EXCEPTIONS=False)

    @require_permission()
    def store():
        current_user.display_name = "a\x00b"  # past the edge, as a bug in a view might
        db.session.flush()
        return "unreachable"

    app.add_url_rule("/api/v1/edge/store", "store", store, methods=["POST"])
    app.config["WTF_CSRF_ENABLED"] = False
    client = login(app.test_client(), create_test_user(app, "ada", superuser=True))
    response = client.post("/api/v1/edge/store")
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"


def test_an_integer_past_64_bits_reaching_sqlite_is_a_400(crm_make_app):
    app = crm_make_app(plugins=[], PROPAGATE_EXCEPTIONS=False)

    @require_permission()
    def store():
        db.session.get(User, current_user.id).department_id = 2**70
        db.session.flush()
        return "unreachable"

    app.add_url_rule("/api/v1/edge/store", "store", store, methods=["POST"])
    app.config["WTF_CSRF_ENABLED"] = False
    client = login(app.test_client(), create_test_user(app, "ada", superuser=True))
    response = client.post("/api/v1/edge/store")
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"


def test_any_other_value_error_is_still_a_500_not_a_400(crm_make_app):
    from crm_core.toolkit import public

    app = crm_make_app(plugins=[], migrate=False, PROPAGATE_EXCEPTIONS=False)

    def broken():
        int("not a number")

    app.add_url_rule("/api/v1/edge/broken", "broken", public(broken))
    response = app.test_client().get("/api/v1/edge/broken")
    assert response.status_code == 500 and response.content_type == "application/problem+json"


def test_an_aborted_500_is_logged_too(crm_make_app, capfd):
    from flask import abort

    from crm_core.toolkit import public

    app = crm_make_app(plugins=[], migrate=False, PROPAGATE_EXCEPTIONS=False)
    app.add_url_rule("/edge/abort", "aborted", public(lambda: abort(500)))
    capfd.readouterr()
    response = app.test_client().get("/edge/abort")
    assert response.status_code == 500
    [line] = _error_lines(capfd.readouterr().out)
    assert line["request_id"] == response.headers["X-Request-ID"]


def test_an_anonymous_api_write_is_told_to_sign_in_not_about_csrf(crm_make_app):
    app = crm_make_app(plugins=[])
    response = app.test_client().post("/api/v1/tokens", json={"name": "x"})
    assert response.status_code == 401
    assert response.content_type == "application/problem+json"
    assert "CSRF" not in response.get_data(as_text=True)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_anonymous_api_write_to_nowhere_is_a_404_or_405(crm_make_app):
    client = crm_make_app(plugins=[]).test_client()
    assert client.post("/api/v1/no-such-thing", json={}).status_code == 404
    wrong = client.put("/api/v1/me", json={})
    assert wrong.status_code == 405 and wrong.content_type == "application/problem+json"


def test_a_signed_in_api_write_without_csrf_is_still_refused(crm_make_app):
    app = crm_make_app(plugins=[])
    client = login(app.test_client(), create_test_user(app, "ada", superuser=True))
    response = client.post("/api/v1/tokens", json={"name": "x"})
    assert response.status_code in (400, 403)
    assert response.content_type == "application/problem+json"
    assert "CSRF" in response.get_json()["detail"]


def test_a_refusal_after_a_failed_flush_still_draws_the_full_page(crm_make_app):
    from sqlalchemy.exc import IntegrityError

    from crm_core.toolkit import DomainError

    app = crm_make_app(plugins=[], database=PG, PROPAGATE_EXCEPTIONS=False)

    @require_permission()
    def rename():
        db.session.add(User(username=current_user.username, password_hash="x"))
        try:
            db.session.flush()
        except IntegrityError:  # a service that forgot to roll back
            raise DomainError("That name is taken.") from None
        return "unreachable"

    app.add_url_rule("/edge/rename", "rename", rename, methods=["POST"])
    app.add_url_rule("/api/v1/edge/rename", "rename_api", rename, methods=["POST"])
    app.config["WTF_CSRF_ENABLED"] = False
    client = login(app.test_client(), create_test_user(app, "ada", superuser=True))
    page = client.post("/edge/rename")
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert "That name is taken." in html and "crm-user-name" in html  # the signed-in shell
    api = client.post("/api/v1/edge/rename")
    assert api.status_code == 422 and api.get_json()["detail"] == "That name is taken."


def test_with_the_database_down_the_answer_is_still_a_proper_500(crm_make_app):
    app = crm_make_app(plugins=[], migrate=False, PROPAGATE_EXCEPTIONS=False,
                       CRM_DATABASE_URL="postgresql+psycopg://u@127.0.0.1:1/x")
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "some-session-key"  # the user loader must reach the database
    page = client.get("/")
    assert page.status_code == 500 and "crm-error" in page.get_data(as_text=True)
    api = client.get("/api/v1/me")
    assert api.status_code == 500 and api.content_type == "application/problem+json"
    assert "127.0.0.1" not in api.get_data(as_text=True)
