"""A Resource list's SQL budget (issue 10): per request, the list itself issues at most three
statements (the user's data scope, the page, the related names of the page), API and HTML,
first and deep page, for a scoped rep and an administrator, however many owners the page
shows. What every signed-in request costs (the session, the permission look-up) and what the
HTML page's furniture reads (saved views, the owner filter's choices, the approvals badge)
is told apart by the tables each statement reads, and may not grow with the page either."""

from __future__ import annotations

import pytest
from resources_world import build

from crm_core.db import get_session
from crm_core.rbac.users import create_account
from crm_core.testing_clients import statements_of

pytestmark = pytest.mark.crm_plugins("example")

OWNERS = 12  # distinct owners on the administrator's first page: an N+1 would show


def kind(sql: str) -> str:
    """What a statement is for, by what it reads."""
    flat = " ".join(sql.split())
    if "example_note" in flat:
        return "page"
    if "core_user_role" in flat and "core_permission" not in flat or "core_department" in flat:
        return "scope"
    if "FROM core_user WHERE core_user.id IN" in flat:
        return "names"
    if "core_auth_session" in flat or "core_permission" in flat:
        return "request"  # signing in and the permission look-up: any request has them
    if any(table in flat for table in ("core_saved_view", "core_approval",
                                       "FROM core_user WHERE core_user.is_active")):
        return "furniture"  # the HTML page's saved views, filter choices, approvals badge
    return "other"


def statements(app, client, url: str) -> dict[str, list[str]]:
    """The statements GET ``url`` ran, grouped by ``kind``."""
    return statements_of(app, client, url, kind)


@pytest.fixture
def world(crm_app):
    world = build(crm_app)
    with crm_app.app_context():
        session = get_session()
        owners = [create_account(session, f"owner{number:02d}", "Kettle-Drum-42x",
                                 roles=["sales"]) for number in range(OWNERS)]
        session.commit()
        for user in owners:
            session.refresh(user)
            session.expunge(user)
            world.users[user.username] = user
    world.add_notes("sally", 120)
    for number in range(OWNERS * 4):  # newest first: the first page shows every owner
        world.add_notes(f"owner{number % OWNERS:02d}", 1, title="Shared", start=200 + number)
    return world


def deep_cursor(client) -> str:
    """The cursor of the list's second page (a page found by keyset, not the first)."""
    return client.get("/api/v1/example/notes?limit=50").get_json()["next_cursor"]


def test_a_resource_list_issues_at_most_scope_page_and_names(world):
    for who in ("sally", "root"):  # a rep who sees their own notes; an administrator
        assert_budget(world, who)


def assert_budget(world, who: str) -> None:
    """The list's own statements of ``who``'s API and HTML list, first and deep page."""
    client = world.client(who)
    cursor = deep_cursor(client)
    urls = {"API first": "/api/v1/example/notes?limit=50",
            "API deep": f"/api/v1/example/notes?limit=50&cursor={cursor}",
            "HTML first": "/example/notes?col=title&col=owner_id",
            "HTML deep": f"/example/notes?col=title&col=owner_id&cursor={cursor}"}
    for label, url in urls.items():
        client.get(url)  # warm: the first request of a session may refresh it
        grouped = statements(world.app, client, url)
        own = [*grouped.get("scope", []), *grouped.get("page", []), *grouped.get("names", [])]
        assert len(own) <= 3, (label, own)
        assert len(grouped["page"]) == 1, label  # no COUNT(*), no separate "previous?" probe
        page = grouped["page"][0].lower()
        assert "count(" not in page, label  # the count is its own request, loaded later
        assert len(grouped.get("scope", [])) == 1, label  # roles and their scopes at once
        assert len(grouped.get("names", [])) == (1 if label.startswith("HTML") else 0), label
        assert not grouped.get("other"), (label, grouped.get("other"))
        assert len(grouped.get("request", [])) <= 2, label
        assert len(grouped.get("furniture", [])) <= (3 if label.startswith("HTML") else 0)


def test_the_statements_do_not_grow_with_the_owners_or_the_rows_of_a_page(world):
    client = world.client("root")
    few = "/example/notes?col=title&col=owner_id&q=Note"  # sally's notes: one owner
    many = "/example/notes?col=title&col=owner_id"  # every owner on the page
    client.get(many)
    one_owner, thirty = statements(world.app, client, few), statements(world.app, client, many)
    assert {k: len(v) for k, v in one_owner.items()} == {k: len(v) for k, v in thirty.items()}
    html = client.get(many).get_data(as_text=True)
    assert all(f"owner{number:02d}" in html for number in range(OWNERS))  # names, not #ids
    small = statements(world.app, client, "/api/v1/example/notes?limit=2")
    large = statements(world.app, client, "/api/v1/example/notes?limit=200")
    assert sum(map(len, small.values())) == sum(map(len, large.values()))
