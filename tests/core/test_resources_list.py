"""A Resource's list (the example plugin's notes): keyset pages at any depth, sorts, every
filter kind, quick search, the count, the column chooser, SQL statements per request and the
page in Chinese."""

from __future__ import annotations

import re

import pytest
from resources_world import build
from sqlalchemy import event

from crm_core.db import get_session

pytestmark = pytest.mark.crm_plugins("example")


@pytest.fixture
def world(crm_app):
    return build(crm_app)


def titles(html: str) -> list[str]:
    return re.findall(r'href="/example/notes/\d+">([^<]+)</a>', html)


def api_titles(client, url: str) -> list[str]:
    body = client.get(url).get_json()
    return [item["title"] for item in body["items"]]


def test_keyset_pages_walk_every_note_once_at_any_depth(world):
    world.add_notes("sally", 230)
    client = world.client("sally")
    seen, url, pages = [], "/api/v1/example/notes?limit=50&sort=title", 0
    while url:
        body = client.get(url).get_json()
        seen += [item["title"] for item in body["items"]]
        pages += 1
        url = (f"/api/v1/example/notes?limit=50&sort=title&cursor={body['next_cursor']}"
               if body["next_cursor"] else None)
    assert pages == 5 and seen == [f"Note {number:03d}" for number in range(230)]
    # the HTML list: newest first, 50 a page, "Next page" carries the cursor
    html = client.get("/example/notes").get_data(as_text=True)
    assert titles(html)[:2] == ["Note 229", "Note 228"] and len(titles(html)) == 50
    for _page in range(4):
        link = re.search(r'rel="next" href="([^"]+)"', html)[1].replace("&amp;", "&")
        html = client.get(link).get_data(as_text=True)
    assert titles(html) == [f"Note {number:03d}" for number in range(29, -1, -1)]
    assert 'rel="next"' not in html and "First page" in html


def test_sorts_by_a_declared_column_either_way_and_ignore_unknown_ones(world):
    world.add_notes("sally", 3, title="Alpha")
    world.add_notes("sally", 2, title="Beta", start=3, priority=5)
    client = world.client("sally")
    assert api_titles(client, "/api/v1/example/notes?sort=-priority")[:2] == [
        "Beta 004", "Beta 003"]
    assert titles(client.get("/example/notes?sort=title").get_data(as_text=True)) == [
        "Alpha 000", "Alpha 001", "Alpha 002", "Beta 003", "Beta 004"]
    html = client.get("/example/notes?sort=body").get_data(as_text=True)  # not declared
    assert titles(html)[0] == "Beta 004"
    bad = client.get("/api/v1/example/notes?sort=body")
    assert bad.status_code == 422 and "sort" in bad.get_json()["errors"]


def test_each_filter_kind_narrows_the_list(world):
    world.add_notes("sally", 10)  # created 2026-01-01 .. 2026-01-10
    world.add_notes("sally", 2, title="Done", start=10, status="done", priority=7)
    client = world.client("root")
    world.add_notes("wes", 1, title="West", start=20)
    assert api_titles(client, "/api/v1/example/notes?status=done&sort=title") == [
        "Done 010", "Done 011"]
    assert api_titles(client, "/api/v1/example/notes?priority_min=6&priority_max=7") == [
        "Done 011", "Done 010"]
    assert api_titles(client, "/api/v1/example/notes?created_at_from=2026-01-02"
                              "&created_at_to=2026-01-03&sort=title") == ["Note 001", "Note 002"]
    wes = world.users["wes"].id
    assert api_titles(client, f"/api/v1/example/notes?owner_id={wes}") == ["West 020"]
    html = client.get("/example/notes?status=done&priority_min=7").get_data(as_text=True)
    assert titles(html) == ["Done 011", "Done 010"]
    # a refused value names its filter: 422 in the API, a 400 page marking the field
    refused = client.get("/api/v1/example/notes?priority_min=lots&created_at_to=2026-13-01")
    assert refused.status_code == 422
    assert refused.content_type == "application/problem+json"
    assert set(refused.get_json()["errors"]) == {"priority_min", "created_at_to"}
    page = client.get("/example/notes?status=nonsense")
    assert page.status_code == 400 and "is-invalid" in page.get_data(as_text=True)


def test_quick_search_finds_notes_by_title_or_body_within_the_scope(world):
    world.add_notes("sally", 3, title="上海华信")
    world.add_notes("sally", 2, title="Globex", start=3)
    world.add_notes("wes", 1, title="上海华信 West", start=9)
    client = world.client("sally")
    assert titles(client.get("/example/notes?q=华信").get_data(as_text=True)) == [
        "上海华信 002", "上海华信 001", "上海华信 000"]
    assert api_titles(client, "/api/v1/example/notes?q=glob") == ["Globex 004", "Globex 003"]
    assert api_titles(client, "/api/v1/example/notes?q=50%25") == []


def test_the_count_is_exact_when_small_and_estimated_when_large(world):
    from crm_plugin_example.resources import NOTES

    from crm_core.resources import query

    world.add_notes("sally", 12)
    client = world.client("sally")
    html = client.get("/example/notes").get_data(as_text=True)
    assert 'hx-get="/example/notes/count"' in html
    assert client.get("/example/notes/count").get_data(as_text=True).strip() == "12 records"
    assert client.get("/example/notes/count?q=Note+01").get_data(
        as_text=True).strip() == "2 records"
    with world.app.test_request_context():
        session = get_session()
        found = query.statement(NOTES, world.users["root"].id)
        # above the cap: about N, from a sample of the table (SQLite) or the planner
        assert query.count(session, found, cap=5) == query.Count(12, exact=False,
                                                                 estimated=True)
        assert query.count(session, found, cap=50) == query.Count(12, exact=True)


def test_the_column_chooser_shows_the_ticked_columns_and_keeps_them_across_pages(world):
    world.add_notes("sally", 60)
    client = world.client("sally")
    html = client.get("/example/notes?col=title&col=priority").get_data(as_text=True)
    headers = re.findall(r'<th scope="col"[^>]*>\s*(?:<a[^>]*>)?([^<]+)', html)
    assert [header.strip() for header in headers if header.strip()] == ["Title", "Priority"]
    link = re.search(r'rel="next" href="([^"]+)"', html)[1]
    assert "cols=title%2Cpriority" in link or "cols=title,priority" in link


def count_statements(app, client, url: str) -> tuple[int, list[str]]:
    engine = app.extensions["crm_db"].engine
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return len(seen), seen


def test_a_list_request_costs_the_same_few_statements_at_any_size_or_depth(world):
    world.add_notes("sally", 120)
    client = world.client("sally")
    client.get("/api/v1/example/notes")  # warm the session
    small, first = count_statements(world.app, client, "/api/v1/example/notes?limit=5")
    big, statements = count_statements(world.app, client, "/api/v1/example/notes?limit=100")
    cursor = client.get("/api/v1/example/notes?limit=100").get_json()["next_cursor"]
    deep, deeper = count_statements(world.app, client,
                                    f"/api/v1/example/notes?limit=100&cursor={cursor}")
    baseline, _ = count_statements(world.app, client, "/api/v1/me")
    assert small == big  # no statement per row
    # a deep page asks whether a previous page exists inside its own statement (EXISTS)
    assert deep == big and "EXISTS" in [sql for sql in deeper if "example_note" in sql][0]
    # beyond what any signed-in request costs: the scope, the page (no COUNT, no OFFSET)
    assert big - baseline <= 3, statements
    notes = [sql for sql in statements if "example_note" in sql]
    assert len(notes) == 1 and "count(" not in notes[0].lower()
    # the HTML page adds the owners' names for the page and the filter's choices
    html_small, _ = count_statements(world.app, client,
                                     "/example/notes?col=title&col=owner_id&q=Note+001")
    html_big, page = count_statements(world.app, client, "/example/notes?col=title&col=owner_id")
    assert html_small == html_big
    assert len([sql for sql in page if "example_note" in sql]) == 1


def test_the_list_and_the_detail_render_in_chinese(world):
    [note_id] = world.add_notes("sally", 1)
    client = world.client("sally")
    headers = {"Accept-Language": "zh-CN"}
    html = client.get("/example/notes", headers=headers).get_data(as_text=True)
    assert "<title>笔记" in html and "标题" in html and "搜索" in html
    detail = client.get(f"/example/notes/{note_id}", headers=headers).get_data(as_text=True)
    assert "历史" in detail and "编辑" in detail and "删除" in detail
