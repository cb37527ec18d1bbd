"""The kernel's import wizard through the web client, with the notes spec of
``imports_testing``: upload, mapping, check listing what would be created, run, bad rows,
undo; another user's import answers 404 on every page and file; no permission is 403."""

from __future__ import annotations

import io
import re

import pytest
from imports_testing import install, run_queued, titles

from crm_core.db import get_session
from crm_core.imports.models import TabularImport
from crm_core.rbac.service import assign_roles
from crm_core.testing import create_test_user, login

pytestmark = pytest.mark.crm_plugins("example")
BASE = "/imports/example.note"
FILE = ("标题,正文,类别\nAlpha,a,重点\nBeta,b,VIP\nbad one,=1+1,\nGamma,c,重点\n"
        ).encode("utf-8-sig")


def token(page) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))[1]


def user_client(app, name, roles):
    user = create_test_user(app, name)
    with app.app_context():
        session = get_session()
        assign_roles(session, user.id, roles)
        session.commit()
    return login(app.test_client(), user)


def mapping(client, import_id, **changes):
    page = client.get(f"{BASE}/{import_id}")
    html = page.get_data(as_text=True)
    data = {"csrf_token": token(page), "mode": "insert", "key": "", "action": "check",
            "create_missing": "y"}
    for name, value in re.findall(
            r'<select[^>]*name="(col_\d+)".*?<option[^>]*selected[^>]*value="([^"]*)"', html,
            re.S):
        data[name] = value
    data.update(changes)
    return data


@pytest.fixture
def app(crm_app):
    install(crm_app)
    return crm_app


def upload(client, content: bytes = FILE) -> int:
    page = client.get(f"{BASE}/new")
    answer = client.post(f"{BASE}/new", data={"csrf_token": token(page),
                                             "file": (io.BytesIO(content), "notes.csv")},
                         content_type="multipart/form-data")
    assert answer.status_code == 302
    return int(answer.headers["Location"].rstrip("/").rsplit("/", 1)[-1])


def test_the_wizard_checks_lists_new_values_runs_and_undoes(app):
    alice = user_client(app, "alice", ["sales"])
    import_id = upload(alice)
    run_queued(app, import_id)  # reads the header
    page = alice.get(f"{BASE}/{import_id}").get_data(as_text=True)
    assert re.search(r'name="col_0".*?selected[^>]*value="title"', page, re.S)
    assert alice.post(f"{BASE}/{import_id}", data=mapping(alice, import_id)).status_code == 302
    run_queued(app, import_id)  # the check
    checked = alice.get(f"{BASE}/{import_id}").get_data(as_text=True)
    assert "2 new categories will be created: 重点, VIP" in checked
    assert "may not start with" in checked and titles(app) == []
    data = mapping(alice, import_id, action="run")
    assert alice.post(f"{BASE}/{import_id}", data=data).status_code == 302
    run_queued(app, import_id)
    assert titles(app) == ["Alpha", "Beta", "Gamma"]
    bad = alice.get(f"{BASE}/{import_id}/bad-rows.csv")
    assert bad.status_code == 200 and bad.data.startswith(b"\xef\xbb\xbf")
    assert b"'=1+1" in bad.data
    confirm = alice.get(f"{BASE}/{import_id}/undo")
    assert confirm.status_code == 200
    assert alice.post(f"{BASE}/{import_id}/undo",
                      data={"csrf_token": token(confirm)}).status_code == 302
    run_queued(app, import_id)
    assert titles(app) == []
    with app.app_context():
        assert get_session().get(TabularImport, import_id).status == "undone"


def test_a_report_title_above_the_header_is_named_and_its_rows_are_imported(app):
    alice = user_client(app, "alice", ["sales"])
    import_id = upload(alice, ("便签导出,,\n导出时间 2026-12-01,,\n" + FILE.decode("utf-8-sig"))
                       .encode("utf-8-sig"))
    run_queued(app, import_id)  # reads the header
    page = alice.get(f"{BASE}/{import_id}").get_data(as_text=True)
    assert re.search(r'name="col_0".*?selected[^>]*value="title"', page, re.S)
    assert "The column names are in row 3" in page
    assert alice.post(f"{BASE}/{import_id}", data=mapping(alice, import_id)).status_code == 302
    run_queued(app, import_id)  # the check
    data = mapping(alice, import_id, action="run")
    assert alice.post(f"{BASE}/{import_id}", data=data).status_code == 302
    run_queued(app, import_id)
    assert titles(app) == ["Alpha", "Beta", "Gamma"]


def test_another_users_import_answers_404_on_every_path(app):
    alice = user_client(app, "alice", ["sales"])
    import_id = upload(alice)
    run_queued(app, import_id)
    alice.post(f"{BASE}/{import_id}", data=mapping(alice, import_id, action="check"))
    run_queued(app, import_id)
    bob = user_client(app, "bob", ["sales"])
    for path in (f"{BASE}/{import_id}", f"{BASE}/{import_id}/bad-rows.csv",
                 f"{BASE}/{import_id}/undo"):
        assert bob.get(path).status_code == 404, path
    own_token = token(bob.get(f"{BASE}/new"))
    assert bob.post(f"{BASE}/{import_id}/undo", data={"csrf_token": own_token}).status_code \
        == 404
    assert bob.post(f"{BASE}/{import_id}", data={"csrf_token": own_token}).status_code == 404
    assert "notes.csv" not in bob.get(f"{BASE}/").get_data(as_text=True)
    assert "notes.csv" in alice.get(f"{BASE}/").get_data(as_text=True)
    viewer = user_client(app, "vera", ["viewer"])
    assert viewer.get(f"{BASE}/").status_code == 403
    assert viewer.get(f"{BASE}/{import_id}").status_code == 404  # not theirs: nothing told
    assert viewer.get(f"{BASE}/new").status_code == 403
    assert alice.get("/imports/nothing.here/").status_code == 404


def test_a_file_that_is_not_a_table_is_refused_with_a_message(app):
    alice = user_client(app, "alice", ["sales"])
    page = alice.get(f"{BASE}/new")
    answer = alice.post(f"{BASE}/new", data={"csrf_token": token(page),
                                            "file": (io.BytesIO(b"\x00\x01PK-not"), "x.pdf")},
                        content_type="multipart/form-data")
    assert answer.status_code == 400
    assert "/tmp" not in answer.get_data(as_text=True)


def test_an_export_holds_the_records_the_user_may_see_as_csv_with_a_bom(app):
    from crm_core.imports.jobs import export_task
    from crm_core.jobs.models import Job
    from crm_core.toolkit import JobHandle

    alice = user_client(app, "alice", ["sales"])
    bob = user_client(app, "bob", ["sales"])
    for client in (alice, bob):
        import_id = upload(client)
        run_queued(app, import_id)
        client.post(f"{BASE}/{import_id}", data=mapping(client, import_id, action="check"))
        run_queued(app, import_id)
        client.post(f"{BASE}/{import_id}", data=mapping(client, import_id, action="run"))
        run_queued(app, import_id)
    page = alice.get(f"{BASE}/")
    answer = alice.post(f"{BASE}/export", data={"csrf_token": token(page), "format": "csv"})
    assert answer.status_code == 302
    job_id = int(answer.headers["Location"].rsplit("/", 1)[-1])
    with app.app_context():
        export_task(JobHandle(job_id), "example.note", "csv")
        path = get_session().get(Job, job_id).result_file
    data = open(path, "rb").read()
    assert data.startswith(b"\xef\xbb\xbf") and b"'=1+1" not in data
    assert data.decode("utf-8-sig").splitlines()[0] == "Title,Body"
    assert data.decode("utf-8-sig").count("Alpha") == 1  # alice's own notes only (scope own)
    viewer = user_client(app, "vera", ["viewer"])
    assert viewer.post(f"{BASE}/export", data={"csrf_token": token(viewer.get("/")),
                                               "format": "csv"}).status_code == 403


def test_the_jobs_page_names_the_file_each_import_job_works_on(app):
    alice = user_client(app, "alice", ["sales"])
    import_id = upload(alice)
    run_queued(app, import_id)
    assert alice.post(f"{BASE}/{import_id}", data=mapping(alice, import_id)).status_code == 302
    jobs = alice.get("/jobs").get_data(as_text=True)
    assert jobs.count('<span class="job-about">notes.csv</span>') == 2  # the read, the check
    with app.app_context():
        job_id = get_session().get(TabularImport, import_id).job_id
    assert "notes.csv" in alice.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert alice.get(f"/api/v1/jobs/{job_id}").get_json()["about"] == "notes.csv"
