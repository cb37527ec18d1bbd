"""``/jobs``: the signed-in user's own jobs, newest first, a page at a time, with state,
progress, start and finish in the user's zone and the file to download; an empty state; a
link in the user menu; nobody sees another user's jobs."""

from __future__ import annotations

import datetime as dt

import pytest
from jobs_testing import finished_export, sales_rep

from crm_core.db import get_session
from crm_core.jobs.models import Job
from crm_core.testing import DATABASES, login

pytestmark = pytest.mark.crm_plugins("example")
NOON_UTC = dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(params=DATABASES)
def app(request, crm_make_app):
    """The example plugin (it has an export job) on SQLite and PostgreSQL."""
    return crm_make_app(plugins=["example"], database=request.param)


def _job(app, owner, **values) -> int:
    with app.app_context():
        session = get_session()
        job = Job(kind="example.export_notes", task="example.export_notes",
                  owner_id=owner.id, **values)
        session.add(job)
        session.commit()
        return job.id


def test_the_jobs_page_lists_my_jobs_newest_first_in_chinese_and_my_zone(app):
    me = sales_rep(app, "li", locale="zh_CN", timezone="Asia/Shanghai")
    other = sales_rep(app, "zhao")
    exported = finished_export(app, me)
    failed = _job(app, me, state="failed", progress=40, error="文件太大", started_at=NOON_UTC,
                  finished_at=NOON_UTC + dt.timedelta(minutes=5))
    running = _job(app, me, state="running", progress=60, started_at=NOON_UTC)
    theirs = _job(app, other, state="done", progress=100)
    client = login(app.test_client(), me)

    html = client.get("/jobs").get_data(as_text=True)
    order = [html.index(f'data-id="{job_id}"') for job_id in (running, failed, exported)]
    assert order == sorted(order)  # newest first
    assert f'data-id="{theirs}"' not in html
    assert "开始于：2026-07-01 20:00" in html and "完成于：2026-07-01 20:05" in html
    assert "Asia/Shanghai" in html
    assert "文件太大" in html and 'aria-valuenow="60"' in html and "60%" in html
    assert f'href="/jobs/{exported}/download"' in html and "下载" in html
    assert client.get(f"/jobs/{exported}/download").status_code == 200
    assert client.get(f"/jobs/{theirs}").status_code == 404


def test_the_jobs_page_pages_by_keyset(app):
    me = sales_rep(app, "li")
    ids = [_job(app, me, state="queued") for _ in range(5)]
    client = login(app.test_client(), me)
    first = client.get("/jobs?limit=2").get_data(as_text=True)
    assert f'data-id="{ids[4]}"' in first and f'data-id="{ids[2]}"' not in first
    assert "Next page" in first and "Previous page" not in first
    cursor = first.split("/jobs?cursor=")[1].split('"')[0].replace("&amp;", "&")
    second = client.get(f"/jobs?cursor={cursor}").get_data(as_text=True)
    assert f'data-id="{ids[2]}"' in second and f'data-id="{ids[4]}"' not in second
    assert "Previous page" in second and "First page" in second


def test_without_jobs_the_page_says_so_and_the_user_menu_links_it(app):
    me = sales_rep(app, "li")
    client = login(app.test_client(), me)
    home = client.get("/").get_data(as_text=True)
    assert 'href="/jobs"' in home and "My jobs" in home
    html = client.get("/jobs").get_data(as_text=True)
    assert 'id="no-jobs"' in html and "You have not started any jobs yet." in html


def test_signed_out_visitors_are_sent_to_sign_in(app):
    response = app.test_client().get("/jobs")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
