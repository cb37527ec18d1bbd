"""A list page given a bad or stale page link goes back to its first page with a notice (the
filters kept); the API answers the same link with problem+json naming the field."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.crm_plugins("customers")


@pytest.mark.parametrize("argument", ["cursor=garbage", "before=bm9wZQ", "before=W10"])
def test_html_list_falls_back_to_its_first_page_with_a_notice(admin_client, argument):
    response = admin_client.get(f"/customers/?sort=name&order=asc&{argument}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/customers/?sort=name&order=asc"
    page = admin_client.get(response.headers["Location"])
    assert page.status_code == 200
    assert "showing the first page" in page.get_data(as_text=True)


def test_api_answers_a_bad_cursor_with_problem_json_naming_it(admin_client):
    response = admin_client.get("/api/v1/customers?cursor=garbage")
    assert 400 <= response.status_code < 500
    assert response.mimetype == "application/problem+json"
    assert "cursor" in response.get_json()["errors"]
