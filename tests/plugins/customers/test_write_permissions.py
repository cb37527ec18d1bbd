"""Every write of the customers plugin needs a write permission (issue 8, item 5): a viewer
gets 403 on every non-GET route of the customers pages and API, with a valid CSRF token so
the permission is what refuses; saving a shared segment needs ``customers.segment.share``."""

from __future__ import annotations

import re

from customers_testing import add_user, app_session, client_for, csrf
from sqlalchemy import select
from werkzeug.routing import Rule

from crm_core.api.tokens import create_token
from crm_core.auth.models import User
from crm_core.rbac.departments import create_department
from plugins.customers import services
from plugins.customers.models import Segment

WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def _customers_writes(app) -> list[tuple[Rule, str]]:
    rules = [(rule, method) for rule in app.url_map.iter_rules()
             if rule.endpoint.split(".")[0] == "customers" or rule.endpoint.startswith("customers_")
             for method in sorted((rule.methods or set()) & WRITES)]
    assert len(rules) > 30, "the walk found too few routes"
    return rules


def _url(rule: Rule, customer_id: int) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: str(customer_id), rule.rule)


def test_a_viewer_gets_403_on_every_write_route(customers_app):
    with app_session(customers_app) as session:
        team = create_department(session, "Team").id
        viewer = add_user(customers_app, session, "vera", ["viewer"], team)
        owner = add_user(customers_app, session, "sam", ["sales"], team)
        customer_id = services.create_customer(session, name="Seen", owner_id=owner).id
        _row, plain = create_token(session, session.get(User, viewer), "walk")
    client = client_for(customers_app, viewer)
    token = csrf(client.get(f"/customers/{customer_id}").get_data(as_text=True))
    allowed = []
    for rule, method in _customers_writes(customers_app):
        if getattr(customers_app.view_functions[rule.endpoint], "crm_own_data", False):
            continue  # the user's own saved list views: anyone who may see the list keeps them
        url = _url(rule, customer_id)
        if rule.endpoint.startswith("customers_api."):
            response = customers_app.test_client().open(
                url, method=method, json={}, headers={"Authorization": f"Bearer {plain}"})
        else:
            response = client.open(url, method=method,
                                   data={"csrf_token": token, "shared": "y", "name": "x"})
        if response.status_code != 403:
            allowed.append((method, rule.rule, response.status_code))
    assert allowed == []


def test_sharing_a_segment_needs_the_share_permission(customers_app):
    with app_session(customers_app) as session:
        sales = add_user(customers_app, session, "sam", ["sales"])
        marketer = add_user(customers_app, session, "mia", ["marketing"])
    for user, shared, status, stored in ((sales, "y", 403, False), (sales, "", 302, True),
                                         (marketer, "y", 302, True)):
        client = client_for(customers_app, user)
        page = client.get("/customers/").get_data(as_text=True)
        assert ('id="segment-shared"' in page) is (user == marketer)
        response = client.post("/customers/segments", data={
            "csrf_token": csrf(page), "name": f"S{user}{shared}", "shared": shared,
            "filters_qs": "industry=IT"})
        assert response.status_code == status
        with app_session(customers_app) as session:
            found = session.scalar(select(Segment).where(Segment.name == f"S{user}{shared}"))
            assert (found is not None) is stored
