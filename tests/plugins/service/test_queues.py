"""The tickets list's queues (the kernel's presets): mine, my teams', unassigned and due
soon, each of open tickets in the reader's scope, as tabs with counts on the page and
``?view=`` on the page and the API, with the other filters and keyset pages; the queries
use the queue indexes."""

from __future__ import annotations

import re

import pytest
from service_testing import new_request, team
from sqlalchemy import text, update

from plugins.service.models import Ticket


def _ticket(world, **more):
    answer = new_request(world["agent_api"], world["customer_id"], **more)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["ticket_ids"][0]


def _give(world, ticket_id, user_id, *states):
    api = world["agent_api"]
    assert api.post(f"/api/v1/service/tickets/{ticket_id}/assign",
                    json={"assignee_id": user_id}).status_code == 200
    for state in states:
        assert api.post(f"/api/v1/service/tickets/{ticket_id}/state",
                        json={"state": state}).status_code == 200


@pytest.fixture(scope="module")
def world(service_app):
    ours, theirs = team(service_app), team(service_app)
    me, colleague = ours["agent_api"].user.id, ours["agent"].user.id
    ids = {"mine": _ticket(ours, priority="urgent"), "mine_done": _ticket(ours),
           "colleague": _ticket(ours), "nobody": _ticket(ours, priority="urgent"),
           "late": _ticket(ours), "elsewhere": _ticket(theirs)}
    _give(ours, ids["mine"], me)
    _give(ours, ids["mine_done"], me, "in_progress", "resolved")
    _give(ours, ids["colleague"], colleague)
    _give(ours, ids["late"], colleague)
    with service_app.app_context():
        session = service_app.extensions["crm_db"].new_session()
        session.execute(update(Ticket).where(Ticket.id == ids["late"])
                        .values(sla_state="warning"))
        session.commit()
        session.close()
    return {"ours": ours, "theirs": theirs, "ids": ids}


def _listed(api, query):
    answer = api.get(f"/api/v1/service/tickets?limit=200&{query}")
    assert answer.status_code == 200, answer.get_json()
    return {item["id"] for item in answer.get_json()["items"]}


def test_each_queue_lists_the_open_tickets_it_names_within_the_scope(world):
    api, ids = world["ours"]["agent_api"], world["ids"]
    assert _listed(api, "view=mine") == {ids["mine"]}
    assert _listed(api, "view=team") >= {ids["mine"], ids["colleague"], ids["nobody"],
                                         ids["late"]}
    assert ids["mine_done"] not in _listed(api, "view=team")
    unassigned = _listed(api, "view=unassigned")
    assert ids["nobody"] in unassigned and ids["elsewhere"] not in unassigned
    assert _listed(api, "view=due_soon") >= {ids["late"]}
    assert ids["mine"] not in _listed(api, "view=due_soon")
    # with the other filters, and "all" is no queue at all
    assert _listed(api, "view=team&priority=urgent") >= {ids["mine"], ids["nobody"]}
    assert ids["colleague"] not in _listed(api, "view=team&priority=urgent")
    assert ids["mine_done"] in _listed(api, "view=all")
    refused = api.get("/api/v1/service/tickets?view=everything")
    assert refused.status_code == 422 and "view" in refused.get_json()["errors"]
    counts = {queue["name"]: (queue["count"], queue["exact"]) for queue in
              api.get("/api/v1/service/tickets/queues").get_json()["queues"]}
    assert counts["mine"] == (1, True) and counts["due_soon"] == (1, True)


def test_a_queue_pages_by_keyset(world):
    api = world["ours"]["agent_api"]
    first = api.get("/api/v1/service/tickets?view=team&limit=2").get_json()
    second = api.get("/api/v1/service/tickets?view=team&limit=2&cursor="
                     f"{first['next_cursor']}").get_json()
    seen = [item["id"] for item in first["items"] + second["items"]]
    assert len(seen) == 4 and len(set(seen)) == 4
    assert all(item["state"] != "resolved" for item in first["items"] + second["items"])


def test_the_list_page_shows_the_queues_as_tabs_with_their_counts(world):
    agent = world["ours"]["agent"]
    page = agent.get("/service/tickets?view=unassigned").get_data(as_text=True)
    tabs = re.findall(r'<a class="nav-link py-1[^"]*"[^>]*href="([^"]+)"', page)
    assert any("view=mine" in href for href in tabs) and len(tabs) == 5
    assert 'aria-current="page" href="/service/tickets?view=unassigned"' in page
    assert 'name="view" value="unassigned"' in page  # the filter form keeps the queue
    assert agent.get("/service/tickets/count?view=unassigned&tab=1").get_data(
        as_text=True).strip() == "1"
    assert agent.get("/service/tickets/count?view=mine&tab=1").get_data(
        as_text=True).strip() == "2"  # colleague's: "mine" is the reader's own
    assert agent.get("/service/tickets?view=nonsense").status_code == 400


def test_the_queues_read_through_their_indexes(service_app, world):
    from crm_core.resources.query import statement
    from plugins.service.tickets.resource import tickets_resource

    user = world["ours"]["agent"].user
    expected = {"mine": "ix_service_ticket_assignee_state",
                "team": "ix_service_ticket_team_state",
                "unassigned": "ix_service_ticket_assignee_state",
                "due_soon": "ix_service_ticket_sla_sweep"}
    with service_app.app_context():
        session = service_app.extensions["crm_db"].new_session()
        for name, index in expected.items():
            found = statement(tickets_resource(), user, {"view": name}, every=True)
            sql = found.compile(dialect=session.get_bind().dialect,
                                compile_kwargs={"literal_binds": True})
            plan = " ".join(row[-1] for row in session.execute(text(f"EXPLAIN QUERY PLAN "
                                                                     f"{sql}")))
            assert index in plan, (name, plan)
        session.close()
