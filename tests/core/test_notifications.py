"""Notifications as their users meet them: the bell's count, the notification centre, opening
and marking read, the API, links that never leave the site, and nobody else's notifications."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from crm_core.db import get_session, utcnow
from crm_core.notifications.links import LinkError
from crm_core.notifications.models import Notification
from crm_core.rbac.users import create_account
from crm_core.testing import login
from crm_core.toolkit import DomainError, notify

PASSWORD = "Kettle-Drum-42x"


@pytest.fixture
def app(crm_make_app):
    return crm_make_app(plugins=[])


def make_user(app, name: str, roles=("sales",), email: str | None = None):
    with app.app_context():
        session = get_session()
        user = create_account(session, name, PASSWORD, roles=list(roles), email=email)
        session.commit()
        session.expunge(user)
    return user


def send(app, user_ids, title="Hello", body="", link=None, kind="system") -> list[int]:
    with app.app_context():
        session = get_session()
        sent = notify(user_ids, kind, title, body, link)
        session.commit()
        return [notification.id for notification in sent]


def bell_count(client) -> int:
    response = client.get("/notifications/bell")
    assert response.status_code == 200
    match = re.search(r'data-count="(\d+)"', response.get_data(as_text=True))
    return int(match.group(1)) if match else 0


def csrf(client) -> str:
    html = client.get("/notifications").get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def unread_rows(html: str) -> int:
    return html.count("crm-unread")


# -- the bell and the list -------------------------------------------------------------------

def test_a_notification_rings_the_bell_and_shows_in_the_list(app):
    ann, bob = make_user(app, "ann"), make_user(app, "bob")
    ann_browser, bob_browser = login(app.test_client(), ann), login(app.test_client(), bob)
    assert bell_count(ann_browser) == 0

    send(app, [ann.id], "Order 42 was approved", "Your discount was accepted.", "/sales/42")
    assert bell_count(ann_browser) == 1
    assert bell_count(bob_browser) == 0  # only the recipient's bell rings

    page = ann_browser.get("/notifications").get_data(as_text=True)
    assert "Order 42 was approved" in page and "Your discount was accepted." in page
    assert unread_rows(page) == 1
    assert ">just now</time>" in page  # a human time, not a timestamp
    with app.app_context():
        session = get_session()
        for row in session.scalars(select(Notification)):
            row.created_at = utcnow() - dt.timedelta(hours=2, minutes=5)
        session.commit()
    assert ">2 hours ago</time>" in ann_browser.get("/notifications").get_data(as_text=True)
    assert "Order 42" not in bob_browser.get("/notifications").get_data(as_text=True)


def test_the_bell_refreshes_by_htmx_polling_without_inline_scripts(app):
    ann = make_user(app, "ann")
    browser = login(app.test_client(), ann)
    home = browser.get("/")
    html = home.get_data(as_text=True)
    bell = re.search(r'<a [^>]*id="crm-bell"[^>]*>', html, flags=re.S).group(0)
    assert 'hx-get="/notifications/bell"' in bell
    assert 'hx-trigger="load, every 30s"' in bell
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []  # CSP: no inline script
    assert "'unsafe-inline'" not in home.headers["Content-Security-Policy"].split(
        "script-src")[1].split(";")[0]

    partial = browser.get("/notifications/bell")
    assert partial.headers["Cache-Control"] == "no-store"
    assert "<html" not in partial.get_data(as_text=True)  # a fragment, not a page
    send(app, ann.id, "One")
    send(app, ann.id, "Two")
    assert bell_count(browser) == 2  # the next poll answers the new count


def test_an_ended_sign_in_polls_a_bare_401_not_the_login_page(app):
    response = app.test_client().get("/notifications/bell")
    assert response.status_code == 401
    assert response.get_data() == b""


def test_the_list_is_newest_first_paged_and_has_an_empty_state(app):
    ann = make_user(app, "ann")
    browser = login(app.test_client(), ann)
    empty = browser.get("/notifications").get_data(as_text=True)
    assert 'id="no-notifications"' in empty and "You have no notifications yet" in empty

    for number in range(55):
        send(app, ann.id, f"Note number {number:02d}")
    first = browser.get("/notifications").get_data(as_text=True)
    titles = re.findall(r">Note number (\d\d)</a>", first)
    assert titles[:3] == ["54", "53", "52"] and len(titles) == 50
    cursor = re.search(r'href="/notifications\?cursor=([^"&]+)"', first).group(1)
    second = browser.get(f"/notifications?cursor={cursor}").get_data(as_text=True)
    assert re.findall(r">Note number (\d\d)</a>", second) == ["04", "03", "02", "01", "00"]
    back = re.search(r'href="/notifications\?before=([^"&]+)"', second)
    from crm_core.api.pagination import Page

    if "prev_cursor" in Page.__dataclass_fields__:  # the kit's ?before= pages backwards
        assert back, "the second page links the first"
        again = browser.get(f"/notifications?before={back.group(1)}").get_data(as_text=True)
        assert re.findall(r">Note number (\d\d)</a>", again)[:2] == ["54", "53"]
    assert browser.get("/notifications?cursor=forged!").status_code in (302, 400)  # not 500


# -- opening and marking read ----------------------------------------------------------------

def test_opening_a_notification_marks_it_read_and_follows_its_link(app):
    ann = make_user(app, "ann")
    browser = login(app.test_client(), ann)
    linked, bare = send(app, ann.id, "Linked", link="/customers/12?tab=deals")[0], \
        send(app, ann.id, "No link")[0]
    response = browser.get(f"/notifications/{linked}/open")
    assert response.status_code == 302
    assert response.headers["Location"] == "/customers/12?tab=deals"
    assert bell_count(browser) == 1
    assert browser.get(f"/notifications/{bare}/open").headers["Location"] == "/notifications"
    assert bell_count(browser) == 0
    assert unread_rows(browser.get("/notifications").get_data(as_text=True)) == 0


def test_mark_read_and_mark_all_read_are_csrf_protected_posts(app):
    ann = make_user(app, "ann")
    browser = login(app.test_client(), ann)
    first, _second, _third = (send(app, ann.id, title)[0] for title in ("A", "B", "C"))
    assert browser.post(f"/notifications/{first}/read").status_code == 400  # no CSRF token
    assert browser.post("/notifications/read-all").status_code == 400
    assert bell_count(browser) == 3

    token = csrf(browser)
    response = browser.post(f"/notifications/{first}/read",
                            data={"csrf_token": token, "next": "/notifications?unread=1"})
    assert response.status_code == 302 and response.headers["Location"] == \
        "/notifications?unread=1"
    assert bell_count(browser) == 2
    unread_page = browser.get("/notifications?unread=1").get_data(as_text=True)
    assert "Mark all read" in unread_page and unread_rows(unread_page) == 2

    done = browser.post("/notifications/read-all",
                        data={"csrf_token": token, "next": "https://evil.example/"},
                        follow_redirects=True)
    assert done.request.path == "/notifications"  # an outside "next" is ignored
    assert "Notifications marked read: 2." in done.get_data(as_text=True)
    assert bell_count(browser) == 0
    assert "You have read all your notifications." in browser.get(
        "/notifications?unread=1").get_data(as_text=True)


def test_another_users_notification_answers_404_on_every_path(app):
    ann, bob = make_user(app, "ann"), make_user(app, "bob")
    (mine,) = send(app, ann.id, "Ann's private note")
    intruder = login(app.test_client(), bob)
    token = csrf(intruder)
    assert intruder.get(f"/notifications/{mine}/open").status_code == 404
    assert intruder.post(f"/notifications/{mine}/read",
                         data={"csrf_token": token}).status_code == 404
    api = intruder.post(f"/api/v1/notifications/{mine}/read", headers={"X-CSRFToken": token})
    assert api.status_code == 404 and api.content_type == "application/problem+json"
    assert intruder.get("/api/v1/notifications").get_json()["items"] == []
    intruder.post("/api/v1/notifications/read-all", headers={"X-CSRFToken": token})
    for huge in (2**63, 10**30):
        assert intruder.get(f"/notifications/{huge}/open").status_code == 404
    assert bell_count(login(app.test_client(), ann)) == 1  # still unread: bob changed nothing


# -- links and input -------------------------------------------------------------------------

@pytest.mark.parametrize("link", [
    "https://evil.example/", "http://evil.example", "//evil.example/x", "/\\evil.example",
    "javascript:alert(1)", "evil.example/path", "customers/12", "/customers/ 12",
    "/a\x00b", "/a\nb", "/" + "x" * 500, "mailto:a@example.com",
])
def test_a_link_that_could_leave_the_site_is_refused(app, link):
    ann = make_user(app, "ann")
    with app.app_context():
        session = get_session()
        with pytest.raises(LinkError) as refused:
            notify([ann.id], "system", "Phishing", link=link)
        assert refused.value.field == "link"
        session.rollback()
        assert session.scalar(select(func.count()).select_from(Notification)) == 0


@pytest.mark.parametrize("link", ["/", "/customers/12", "/customers/12?tab=deals#top",
                                  "/search?q=%E5%BC%A0"])
def test_a_site_path_is_kept_as_the_link(app, link):
    ann = make_user(app, "ann")
    (sent,) = send(app, [ann.id], "Fine", link=link)
    with app.app_context():
        assert get_session().get(Notification, sent).link == link


def test_notify_refuses_unknown_kinds_and_empty_titles_and_skips_missing_users(app):
    ann = make_user(app, "ann")
    with app.app_context():
        with pytest.raises(DomainError, match="Unknown notification kind"):
            notify([ann.id], "no.such.kind", "Title")
        with pytest.raises(DomainError, match="needs a title"):
            notify([ann.id], "system", "   ")
        with pytest.raises(DomainError):
            notify(["1; DROP TABLE"], "system", "Title")
        sent = notify([ann.id, ann.id, 999_999], "system", "T" * 300, "B" * 5000)
        assert [n.user_id for n in sent] == [ann.id]  # once each, unknown ids skipped
        assert len(sent[0].title) == 200 and len(sent[0].body) == 4000


def test_notify_writes_in_the_callers_transaction(app):
    ann = make_user(app, "ann")
    with app.app_context():
        session = get_session()
        notify([ann.id], "system", "Will be rolled back")
        session.rollback()
        assert session.scalar(select(func.count()).select_from(Notification)) == 0
    assert bell_count(login(app.test_client(), ann)) == 0


# -- the API ---------------------------------------------------------------------------------

def test_the_api_lists_counts_and_marks_read(app):
    ann = make_user(app, "ann")
    browser = login(app.test_client(), ann)
    token = csrf(browser)
    ids = [send(app, ann.id, f"API {n}", "body", "/customers/1")[0] for n in range(3)]

    listed = browser.get("/api/v1/notifications?limit=2").get_json()
    assert set(listed) == {"items", "next_cursor"} and listed["next_cursor"]
    item = listed["items"][0]
    assert set(item) == {"id", "kind", "title", "body", "link", "open_url", "read",
                         "created_at", "read_at"}
    assert item["id"] == ids[-1] and item["title"] == "API 2" and item["read"] is False
    assert item["kind"] == "system" and item["link"] == "/customers/1"
    assert item["open_url"] == f"/notifications/{ids[-1]}/open"
    assert item["created_at"].endswith("+00:00") and item["read_at"] is None
    rest = browser.get(f"/api/v1/notifications?limit=2&cursor={listed['next_cursor']}")
    assert [i["id"] for i in rest.get_json()["items"]] == [ids[0]]

    assert browser.get("/api/v1/notifications/unread-count").get_json() == {"count": 3}
    marked = browser.post(f"/api/v1/notifications/{ids[0]}/read",
                          headers={"X-CSRFToken": token})
    assert marked.status_code == 200 and marked.get_json()["read"] is True
    assert marked.get_json()["read_at"]
    unread = browser.get("/api/v1/notifications?unread=1").get_json()["items"]
    assert [i["id"] for i in unread] == [ids[2], ids[1]]
    assert browser.get("/api/v1/notifications/unread-count").get_json() == {"count": 2}

    everything = browser.post("/api/v1/notifications/read-all", headers={"X-CSRFToken": token})
    assert everything.get_json() == {"marked": 2}
    assert browser.get("/api/v1/notifications/unread-count").get_json() == {"count": 0}


def test_the_api_refuses_bad_input_with_problems(app):
    ann = make_user(app, "ann")
    browser = login(app.test_client(), ann)
    bad = browser.get("/api/v1/notifications?limit=1000")
    assert bad.status_code == 422 and "limit" in bad.get_json()["errors"]
    assert browser.get("/api/v1/notifications?unread=maybe").status_code == 422
    assert browser.get("/api/v1/notifications?cursor=%%%").status_code == 422
    assert browser.post("/api/v1/notifications/read-all").status_code == 400  # no CSRF
    anonymous = app.test_client().get("/api/v1/notifications/unread-count")
    assert anonymous.status_code == 401
    assert anonymous.content_type == "application/problem+json"


def test_every_kernel_role_may_use_its_own_notification_centre(app):
    for role in ("viewer", "sales", "service", "marketing", "manager"):
        user = make_user(app, f"user-{role}", roles=(role,))
        send(app, user.id, f"For the {role}")
        browser = login(app.test_client(), user)
        assert browser.get("/notifications").status_code == 200
        assert browser.get("/notifications/preferences").status_code == 200
        assert browser.get("/api/v1/notifications/unread-count").get_json() == {"count": 1}


@pytest.mark.postgres
def test_the_notification_centre_works_on_postgresql(crm_make_app):
    app = crm_make_app(plugins=[], database="postgresql")
    ann = make_user(app, "ann", email="ann@example.com")
    browser = login(app.test_client(), ann)
    token = csrf(browser)
    ids = [send(app, ann.id, f"PG {n}", link="/customers/1")[0] for n in range(3)]
    assert bell_count(browser) == 3
    page = browser.get("/api/v1/notifications?limit=2").get_json()
    assert [i["id"] for i in page["items"]] == ids[:0:-1]
    rest = browser.get(f"/api/v1/notifications?limit=2&cursor={page['next_cursor']}")
    assert [i["id"] for i in rest.get_json()["items"]] == [ids[0]]
    assert browser.get(f"/notifications/{ids[0]}/open").status_code == 302
    assert browser.get(f"/notifications/{2**63 - 1}/open").status_code == 404
    assert browser.post("/api/v1/notifications/read-all",
                        headers={"X-CSRFToken": token}).get_json() == {"marked": 2}
    assert bell_count(browser) == 0


def test_a_lazy_title_is_written_in_each_readers_language(app):
    from flask_babel import lazy_gettext

    from crm_core.auth.models import User

    chinese, english = make_user(app, "lin"), make_user(app, "lee")
    with app.app_context():
        session = get_session()
        session.get(User, chinese.id).locale = "zh_CN"
        session.get(User, english.id).locale = "en"
        session.commit()
        # a beat task has no request: the text follows each reader, not the worker
        notify([chinese.id, english.id], "system", lazy_gettext("Notifications"))
        session.commit()
        titles = dict(session.execute(select(Notification.user_id, Notification.title)).all())
    assert titles == {chinese.id: "通知", english.id: "Notifications"}
