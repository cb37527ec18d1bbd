"""The operation log: every write recorded with who, what and old/new values; a hash chain
that ``crm audit verify`` checks; the admin page that filters and pages it."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import threading
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, insert, select, text, update

from crm_core.audit.models import AuditEntry
from crm_core.audit.service import record_event, record_history
from crm_core.auth.models import LoginAttempt, User
from crm_core.auth.service import create_user, set_password
from crm_core.jobs.models import Job
from crm_core.rbac.models import Permission, Role, RolePermission
from crm_core.rbac.service import assign_roles
from crm_core.testing import app_environment, create_test_user, invoke_cli, login

DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
PASSWORD = "correct-horse-9"


def entries(app, **where) -> list[dict]:
    """The app's log entries (oldest first) matching column=value filters, changes parsed."""
    with app.extensions["crm_db"].engine.connect() as connection:
        query = select(AuditEntry.__table__).order_by(AuditEntry.id)
        for column, value in where.items():
            query = query.where(AuditEntry.__table__.c[column] == value)
        rows = [dict(row) for row in connection.execute(query).mappings()]
    for row in rows:
        row["changes"] = json.loads(row["changes"])
    return rows


def last_id(app) -> int:
    with app.extensions["crm_db"].engine.connect() as connection:
        return connection.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1))


def raw_sql(app, sql: str, **params) -> None:
    """Run SQL behind the application's back, as someone tampering with the database would."""
    with app.extensions["crm_db"].engine.begin() as connection:
        connection.execute(text(sql), params)


def session_of(app):
    return app.extensions["crm_db"].new_session()


def page_text(response) -> str:
    """A page's visible text, tags removed and white space collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


# -- recording row changes ------------------------------------------------------------------

@pytest.mark.parametrize("database", DATABASES)
def test_a_user_created_edited_and_deleted_is_logged_with_old_and_new_values(crm_make_app,
                                                                              database):
    app = crm_make_app(plugins=[], database=database)
    with app.app_context():
        session = session_of(app)
        user = create_user(session, "ada", PASSWORD, display_name="Ada")
        session.commit()
        user.display_name = "Ada Lovelace"
        user.email = "ada@example.com"
        set_password(session, user, "another-horse-7")
        session.commit()
        user_id = user.id
        session.delete(user)
        session.commit()
        session.close()

    created, edited, deleted = entries(app, model="core_user", record_id=str(user_id))
    assert created["action"] == "insert"
    assert created["changes"]["username"] == {"new": "ada"}
    assert created["changes"]["display_name"] == {"new": "Ada"}
    assert created["changes"]["password_hash"] == {"new": "***"}
    assert edited["action"] == "update"
    assert edited["changes"]["display_name"] == {"old": "Ada", "new": "Ada Lovelace"}
    assert edited["changes"]["email"] == {"old": None, "new": "ada@example.com"}
    assert edited["changes"]["password_hash"] == {"old": "***", "new": "***"}
    assert "username" not in edited["changes"], "only changed fields are recorded"
    assert dt.datetime.fromisoformat(edited["changes"]["password_changed_at"]["new"])
    assert deleted["action"] == "delete"
    assert deleted["changes"]["username"] == {"old": "ada"}
    assert deleted["changes"]["display_name"] == {"old": "Ada Lovelace"}
    assert deleted["changes"]["password_hash"] == {"old": "***"}
    assert {entry["username"] for entry in (created, edited, deleted)} == {"system"}
    assert "$argon2" not in json.dumps([created, edited, deleted], default=str)
    assert invoke_cli(app, "audit", "verify").exit_code == 0


def test_a_rollback_leaves_no_entry(crm_make_app):
    app = crm_make_app(plugins=[])
    before = last_id(app)
    with app.app_context():
        session = session_of(app)
        create_user(session, "temp", PASSWORD)  # flushed: the entry is written, not committed
        record_event("export", "Exported nothing", session=session)
        session.rollback()
        session.close()
    assert last_id(app) == before
    assert entries(app, model="core_user") == []


def test_role_grants_and_revocations_are_logged(crm_make_app):
    app = crm_make_app(plugins=[])
    with app.app_context():
        session = session_of(app)
        user = create_user(session, "bob", PASSWORD)
        assign_roles(session, user.id, ["sales", "viewer"])
        session.commit()
        assign_roles(session, user.id, ["viewer"])
        role = session.scalar(select(Role).where(Role.name == "viewer"))
        permission = session.scalar(select(Permission).where(Permission.name == "core.audit.view"))
        session.add(RolePermission(role_id=role.id, permission_id=permission.id))
        session.commit()
        sales_id = session.scalar(select(Role.id).where(Role.name == "sales"))
        user_id, viewer_id, permission_id = user.id, role.id, permission.id
        session.close()

    grants = [(e["action"], e["record_id"]) for e in entries(app, model="core_user_role")]
    assert grants == [("insert", f"{user_id},{sales_id}"), ("insert", f"{user_id},{viewer_id}"),
                      ("delete", f"{user_id},{sales_id}")]
    granted = entries(app, model="core_role_permission", record_id=f"{viewer_id},{permission_id}")
    assert [e["action"] for e in granted] == ["insert"]
    assert granted[0]["changes"] == {"role_id": {"new": viewer_id},
                                     "permission_id": {"new": permission_id}}


def test_rows_the_database_deletes_by_cascade_are_logged_too(crm_make_app):
    app = crm_make_app(plugins=[])
    with app.app_context():
        session = session_of(app)
        user = create_user(session, "carl", PASSWORD)
        assign_roles(session, user.id, ["manager"])
        session.commit()
        user_id = user.id
        session.delete(user)  # core_user_role rows go by ON DELETE CASCADE, not by the ORM
        session.commit()
        session.close()
    manager_id = entries(app, model="core_role", action="insert")[1]["record_id"]
    removed = entries(app, model="core_user_role", action="delete")
    assert [(e["record_id"], e["message"]) for e in removed] == [
        (f"{user_id},{manager_id}", "by the database (cascade)")]


def test_update_and_delete_statements_are_logged_row_by_row(crm_make_app):
    app = crm_make_app(plugins=[])
    for name in ("dan", "eve", "fay"):
        create_test_user(app, name)
    with app.app_context():
        session = session_of(app)
        session.execute(update(User).where(User.username.in_(["dan", "eve"]))
                        .values(display_name="Team A"))
        session.execute(delete(User).where(User.username == "fay"))
        session.execute(insert(Role).values(name="auditor", label="Auditor"))
        session.commit()
        ids = dict(session.execute(select(User.username, User.id)).all())
        auditor_id = session.scalar(select(Role.id).where(Role.name == "auditor"))
        session.close()

    updated = entries(app, model="core_user", action="update")
    assert [(e["record_id"], e["changes"]) for e in updated] == [
        (str(ids["dan"]), {"display_name": {"old": "dan", "new": "Team A"}}),
        (str(ids["eve"]), {"display_name": {"old": "eve", "new": "Team A"}})]
    (removed,) = entries(app, model="core_user", action="delete")
    assert removed["changes"]["username"] == {"old": "fay"}
    assert removed["changes"]["password_hash"] == {"old": "***"}
    (added,) = entries(app, model="core_role", record_id=str(auditor_id))
    assert added["changes"] == {"name": {"new": "auditor"}, "label": {"new": "Auditor"}}


def test_models_that_opt_out_are_not_logged(crm_make_app):
    app = crm_make_app(plugins=[])
    before = last_id(app)
    with app.app_context():
        session = session_of(app)
        session.add(Job(kind="export", task="core.nothing"))
        session.add(LoginAttempt(username="ada", ip="10.0.0.1"))
        session.commit()
        session.close()
    assert last_id(app) == before


@pytest.mark.crm_plugins("example")
def test_a_plugins_write_through_the_web_names_the_user_ip_and_request_id(crm_app):
    admin = create_test_user(crm_app, "admin", superuser=True)
    client = login(crm_app.test_client(), admin)
    token = csrf_token(client.get("/example/notes").get_data(as_text=True))
    response = client.post("/example/notes", data={"csrf_token": token, "title": "Call ACME"},
                           headers={"X-Request-ID": "req-note-1"},
                           environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert response.status_code == 302

    (entry,) = entries(crm_app, model="example_note")
    assert entry["action"] == "insert"
    assert (entry["user_id"], entry["username"]) == (admin.id, "admin")
    assert entry["ip"] == "203.0.113.9"
    assert entry["request_id"] == "req-note-1"
    assert entry["changes"]["title"] == {"new": "Call ACME"}


def test_record_event_logs_a_non_row_event_that_commits_with_the_caller(crm_make_app):
    app = crm_make_app(plugins=[])
    user = create_test_user(app, "gil")
    with app.app_context():
        from crm_core.db import get_session

        record_event("export", "Exported 3 customers", model="core_user",
                     record_id=user.id, changes={"rows": 3}, user=user)
        record_event("login_failed", "Wrong password for 'nobody'", user="nobody")
        get_session().commit()
    export, failed = entries(app)[-2:]
    assert (export["action"], export["user_id"], export["username"]) == ("export", user.id, "gil")
    assert (export["model"], export["record_id"], export["changes"]) == (
        "core_user", str(user.id), {"rows": 3})
    assert (failed["user_id"], failed["username"], failed["message"]) == (
        None, "nobody", "Wrong password for 'nobody'")


def test_cli_commands_are_logged_as_the_os_user(crm_make_app):
    app = crm_make_app(plugins=[])
    result = invoke_cli(app, "users", "ensure-admin")
    assert result.exit_code == 0, result.output
    (entry,) = entries(app, model="core_user")
    assert entry["username"].startswith("cli:") and entry["user_id"] is None


def test_work_done_on_someones_behalf_is_logged_as_them(crm_make_app):
    from crm_core.audit.context import acting_as

    app = crm_make_app(plugins=[])
    owner = create_test_user(app, "owner")
    with app.app_context(), acting_as(owner.id, owner.username):
        session = session_of(app)
        create_user(session, "imported", PASSWORD)
        session.commit()
        session.close()
    (entry,) = entries(app, model="core_user", record_id=str(owner.id + 1))
    assert (entry["user_id"], entry["username"]) == (owner.id, "owner")


# -- the hash chain -------------------------------------------------------------------------

def _some_history(app) -> None:
    for name in ("ann", "ben", "cat"):
        create_test_user(app, name)


def test_an_untouched_log_verifies(crm_make_app):
    app = crm_make_app(plugins=[])
    _some_history(app)
    count = len(entries(app))
    result = invoke_cli(app, "audit", "verify", "--batch-size", "7")
    assert result.exit_code == 0, result.output
    assert f"intact: {count} entries verified" in result.output


@pytest.mark.parametrize("column,value", [("changes", '{"username":{"new":"mallory"}}'),
                                          ("username", "mallory")])
def test_an_edited_entry_makes_verify_fail_naming_it(crm_make_app, column, value):
    app = crm_make_app(plugins=[])
    _some_history(app)
    target = entries(app, model="core_user")[1]["id"]
    raw_sql(app, f"UPDATE core_audit_log SET {column} = :v WHERE id = :id", v=value, id=target)
    result = invoke_cli(app, "audit", "verify")
    assert result.exit_code == 1
    assert f"broken at entry {target}: its content was edited" in result.output


def test_a_deleted_entry_makes_verify_fail_naming_the_next_one(crm_make_app):
    app = crm_make_app(plugins=[])
    _some_history(app)
    first, middle, last = (e["id"] for e in entries(app, model="core_user"))
    raw_sql(app, "DELETE FROM core_audit_log WHERE id = :id", id=middle)
    result = invoke_cli(app, "audit", "verify")
    assert result.exit_code == 1
    assert f"broken at entry {last}: its prev_hash does not match the hash of entry {first}" \
        in result.output


def test_the_crm_command_exits_non_zero_on_an_edited_log(crm_make_app):
    app = crm_make_app(plugins=[])
    _some_history(app)
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    environ.update(app_environment(app))

    def crm_audit_verify() -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "crm_core.cli", "audit", "verify"],
                              env=environ, capture_output=True, text=True, timeout=120,
                              check=False)

    intact = crm_audit_verify()
    assert intact.returncode == 0, intact.stderr
    target = entries(app, model="core_user")[0]["id"]
    raw_sql(app, "UPDATE core_audit_log SET changes = '{}' WHERE id = :id", id=target)
    broken = crm_audit_verify()
    assert broken.returncode == 1
    assert f"entry {target}" in broken.stderr


@pytest.mark.parametrize("database", DATABASES)
def test_concurrent_writers_form_one_valid_chain(crm_make_app, database):
    app = crm_make_app(plugins=[], database=database)
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def writer(number: int) -> None:
        try:
            with app.app_context():
                start.wait()
                for round_ in range(5):
                    session = session_of(app)
                    for index in range(3):
                        create_user(session, f"w{number}-{round_}-{index}", PASSWORD)
                    record_event("import", f"batch {number}/{round_}", session=session)
                    session.commit()
                    session.close()
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert len(entries(app, model="core_user")) == 4 * 5 * 3
    assert len(entries(app, action="import")) == 4 * 5
    result = invoke_cli(app, "audit", "verify")
    assert result.exit_code == 0, result.output


# -- the pages ------------------------------------------------------------------------------

def _page_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<td class="text-muted small">(\d+)</td>', html)]


def _link(html: str, label: str) -> str | None:
    match = re.search(r'<a class="page-link" href="([^"]+)" rel="\w+">[^<]*' + label, html)
    return match.group(1).replace("&amp;", "&") if match else None


def test_the_log_page_pages_newest_first_fifty_at_a_time(crm_make_app):
    app = crm_make_app(plugins=[])
    admin = create_test_user(app, "root", superuser=True)
    with app.app_context():
        session = session_of(app)
        for number in range(60):
            record_event("export", f"export {number}", session=session)
        session.commit()
        session.close()
    client = login(app.test_client(), admin)
    all_ids = [e["id"] for e in entries(app)][::-1]

    first = client.get("/audit").get_data(as_text=True)
    assert _page_ids(first) == all_ids[:50]
    assert _link(first, "Newer") is None
    older = client.get(_link(first, "Older")).get_data(as_text=True)
    assert _page_ids(older) == all_ids[50:100]
    newer = client.get(_link(older, "Newer")).get_data(as_text=True)
    assert _page_ids(newer) == all_ids[:50]

    filtered = client.get("/audit?action=export").get_data(as_text=True)
    exports = [e["id"] for e in entries(app, action="export")][::-1]
    assert _page_ids(filtered) == exports[:50]
    rest = client.get(_link(filtered, "Older")).get_data(as_text=True)
    assert _page_ids(rest) == exports[50:]
    assert _link(rest, "Older") is None
    assert "action=export" in _link(rest, "Newer")


def test_the_log_page_filters_by_user_model_record_action_and_date(crm_make_app):
    app = crm_make_app(plugins=[])
    admin = create_test_user(app, "root", superuser=True)
    client = login(app.test_client(), admin)
    with app.app_context():
        session = session_of(app)
        ada = create_user(session, "ada", PASSWORD)
        session.commit()
        ada.display_name = "Countess"
        session.commit()
        ada_id = ada.id
        record_event("export", "Exported users", user=ada, session=session)
        session.commit()
        session.close()

    def ids(query: str) -> list[int]:
        response = client.get(f"/audit?{query}")
        assert response.status_code == 200
        return _page_ids(response.get_data(as_text=True))

    ada_rows = entries(app, model="core_user", record_id=str(ada_id))
    assert ids(f"model=core_user&record_id={ada_id}") == [e["id"] for e in ada_rows][::-1]
    assert ids(f"model=core_user&record_id={ada_id}&action=update") == [ada_rows[1]["id"]]
    assert ids("user=ada") == [entries(app, action="export")[0]["id"]]
    # the dates are days in the viewer's zone (CRM_DEFAULT_TIMEZONE: Asia/Shanghai)
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    assert len(ids(f"date_from={today}&date_to={today}&model=core_user")) == 3
    assert ids(f"date_from={today + dt.timedelta(days=1)}") == []
    assert ids(f"date_to={today - dt.timedelta(days=1)}") == []

    page = page_text(client.get(f"/audit?model=core_user&record_id={ada_id}&action=update"))
    assert "Display name : ada → Countess" in page


def test_the_log_page_explains_an_empty_result_and_a_bad_date_range(crm_make_app):
    app = crm_make_app(plugins=[])
    client = login(app.test_client(), create_test_user(app, "root", superuser=True))
    empty = client.get("/audit?user=nobody-at-all")
    assert empty.status_code == 200
    assert "No entries match these filters." in empty.get_data(as_text=True)
    backwards = client.get("/audit?date_from=2026-02-01&date_to=2026-01-01")
    assert backwards.status_code == 400
    assert "The end date is before the start date." in backwards.get_data(as_text=True)


def test_a_records_history_page_shows_its_changes_newest_first(crm_make_app):
    app = crm_make_app(plugins=[])
    client = login(app.test_client(), create_test_user(app, "root", superuser=True))
    user = create_test_user(app, "hal")
    with app.app_context():
        session = session_of(app)
        session.get(User, user.id).display_name = "HAL 9000"
        session.commit()
        session.close()
        history = record_history(User, user.id)
        assert [entry.action for entry in history] == ["update", "insert"]

    page = page_text(client.get(f"/audit/record/core_user/{user.id}"))
    assert "Display name : hal → HAL 9000" in page
    assert page.index("HAL 9000") < page.index("Password : ***")
    assert "$argon2" not in page
    assert client.get("/audit/record/core_user/999999").status_code == 200


def test_the_operation_log_is_in_the_menu_of_those_who_may_see_it(crm_make_app):
    app = crm_make_app(plugins=[])
    admin = login(app.test_client(), create_test_user(app, "root", superuser=True))
    assert 'href="/audit"' in admin.get("/").get_data(as_text=True)
    plain = login(app.test_client(), create_test_user(app, "plain"))
    assert 'href="/audit"' not in plain.get("/").get_data(as_text=True)


def test_users_without_core_audit_view_get_403(crm_make_app):
    app = crm_make_app(plugins=[])
    user = create_test_user(app, "ivy")
    with app.app_context():
        session = session_of(app)
        assign_roles(session, user.id, ["sales"])
        session.commit()
        session.close()
    client = login(app.test_client(), user)
    assert client.get("/audit").status_code == 403
    assert client.get(f"/audit/record/core_user/{user.id}").status_code == 403
    assert app.test_client().get("/audit").status_code == 302  # anonymous: to the login page
    with app.app_context():
        session = session_of(app)
        assign_roles(session, user.id, ["manager"])  # managers may read the log
        session.commit()
        session.close()
    assert login(app.test_client(), user).get("/audit").status_code == 200


def test_no_route_changes_or_deletes_log_entries(crm_app):
    writable = [rule.rule for rule in crm_app.url_map.iter_rules()
                if rule.endpoint.startswith("core_audit.")
                and rule.methods - {"GET", "HEAD", "OPTIONS"}]
    assert writable == []
