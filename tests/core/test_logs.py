"""JSON lines on stdout: one access line per request, and one request id that follows it."""

from __future__ import annotations

import json
import logging

from flask import g
from flask_login import current_user

from crm_core.logs import StdoutHandler
from crm_core.testing import create_test_user, login
from crm_core.toolkit import public


def json_lines(out: str) -> list[dict]:
    lines = out.strip().splitlines()
    assert lines, "nothing was logged"
    return [json.loads(line) for line in lines]  # every line is JSON, nothing else


def access_lines(out: str) -> list[dict]:
    return [line for line in json_lines(out) if line["logger"] == "crm.access"]


def test_each_request_writes_one_json_access_line(crm_make_app, capfd):
    app = crm_make_app(plugins=[])
    capfd.readouterr()
    response = app.test_client().get("/healthz?probe=1")
    [line] = access_lines(capfd.readouterr().out)
    assert set(line) >= {"time", "level", "logger", "message", "request_id", "user_id",
                         "method", "path", "status", "duration_ms"}
    assert line["level"] == "INFO" and line["method"] == "GET"
    # no query string: it may hold secrets
    assert line["path"] == "/healthz" and line["status"] == 200
    assert isinstance(line["duration_ms"], float | int) and line["duration_ms"] >= 0
    assert line["time"].endswith("+00:00")
    assert line["user_id"] is None
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert len(line["request_id"]) == 32  # a uuid4 in hex


def test_an_incoming_request_id_is_kept_and_echoed(crm_make_app, capfd):
    app = crm_make_app(plugins=[])
    capfd.readouterr()
    response = app.test_client().get("/healthz", headers={"X-Request-ID": "lb-4f2a.9_x"})
    assert response.headers["X-Request-ID"] == "lb-4f2a.9_x"
    [line] = access_lines(capfd.readouterr().out)
    assert line["request_id"] == "lb-4f2a.9_x"


def test_a_hostile_request_id_is_cleaned_before_use(crm_make_app):
    client = crm_make_app(plugins=[]).test_client()
    dirty = client.get("/healthz", headers={"X-Request-ID": 'a b"\t<script>' + "x" * 100})
    assert dirty.headers["X-Request-ID"] == "abscript" + "x" * 56
    empty = client.get("/healthz", headers={"X-Request-ID": "<>;"})
    assert len(empty.headers["X-Request-ID"]) == 32  # nothing usable left: a new one


def test_lines_logged_during_a_request_carry_its_id_and_the_user(crm_make_app, capfd):
    app = crm_make_app(plugins=[])

    @public
    def noisy():
        assert current_user.is_authenticated
        logging.getLogger("crm_core.somewhere").warning("disk almost full")
        return g.request_id

    app.add_url_rule("/noisy", "noisy", noisy)
    user = create_test_user(app, "ada", superuser=True)
    client = login(app.test_client(), user)
    capfd.readouterr()
    response = client.get("/noisy", headers={"X-Request-ID": "req-1"})
    assert response.get_data(as_text=True) == "req-1"  # what the operation log reads
    lines = json_lines(capfd.readouterr().out)
    warning = next(line for line in lines if line["message"] == "disk almost full")
    assert warning["request_id"] == "req-1" and warning["level"] == "WARNING"
    assert warning["logger"] == "crm_core.somewhere" and warning["user_id"] == user.id


def test_the_access_line_names_the_signed_in_user(crm_make_app, capfd):
    app = crm_make_app(plugins=[])
    user = create_test_user(app, "ada", superuser=True)
    client = login(app.test_client(), user)
    capfd.readouterr()
    assert client.get("/").status_code == 200
    [line] = access_lines(capfd.readouterr().out)
    assert line["user_id"] == user.id and line["path"] == "/"


def test_errors_get_an_access_line_and_a_request_id_too(crm_make_app, capfd):
    app = crm_make_app(plugins=[])
    capfd.readouterr()
    response = app.test_client().get("/no/such/page")
    assert response.status_code == 404 and response.headers["X-Request-ID"]
    [line] = access_lines(capfd.readouterr().out)
    assert line["status"] == 404


def test_several_apps_in_one_process_log_each_line_once(crm_make_app, capfd):
    first = crm_make_app(plugins=[])
    crm_make_app(plugins=[])
    handlers = [h for h in logging.getLogger().handlers if isinstance(h, StdoutHandler)]
    assert len(handlers) == 1
    capfd.readouterr()
    first.test_client().get("/healthz")
    assert len(access_lines(capfd.readouterr().out)) == 1
