"""The backlog-age widget (open tickets by how many days ago they came in, the viewer's own
department's only) and the empty states of the monthly widgets for a team with no history."""

from __future__ import annotations

import datetime as dt

from service_testing import new_request, team

BUCKETS = ["Under 1 day", "1–3 days", "3–7 days", "Over 7 days"]


def _widget(client, widget_id):
    answer = client.get(f"/api/v1/widgets/{widget_id}")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()["data"]


def test_backlog_age_buckets_the_open_tickets_of_the_viewers_department(service_app):
    from plugins.service.models import Ticket

    mine, other = team(service_app), team(service_app)
    now = dt.datetime.now(dt.UTC)
    # received (by phone) 2, 5, 9 and 30 days ago, and one just now that is then resolved
    made = [new_request(mine["agent_api"], mine["customer_id"],
                        received_at=(now - dt.timedelta(days=days)).isoformat())
            .get_json()["ticket_ids"][0] for days in (2, 5, 9, 30, 0)]
    new_request(other["agent_api"], other["customer_id"])  # another department's
    with service_app.app_context():
        session = service_app.extensions["crm_db"].new_session()
        settled = session.get(Ticket, made[4])  # resolved: not in the backlog
        settled.state, settled.resolved_at = "resolved", now
        session.commit()
        session.close()

    data = _widget(mine["agent"], "service.backlog_age")
    assert data == {"labels": BUCKETS, "values": [0, 1, 1, 2]}
    assert _widget(other["agent"], "service.backlog_age")["values"] == [1, 0, 0, 0]


def test_a_team_without_history_gets_the_empty_state(service_app):
    fresh = team(service_app)
    for widget_id in ("service.sla_attainment", "service.response_times",
                      "service.satisfaction", "service.backlog_age"):
        assert _widget(fresh["agent"], widget_id)["labels"] == [], widget_id
