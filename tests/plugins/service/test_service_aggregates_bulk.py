"""The bulk demo path (``crm seed --service N`` from 20,000, and the benchmark): requests with
their tickets and surveys written through the driver, numbered from the kernel's series (a
request entered afterwards gets the next number, no clash), the aggregates rebuilt so the
widgets show the loaded history at once. On an app of its own: the load reaches every team."""

from __future__ import annotations

import pytest
from service_testing import new_request, team


@pytest.fixture(scope="module")
def bulk_app(tmp_path_factory):
    from crm_core.testing import migrated_app

    yield from migrated_app(tmp_path_factory.mktemp("service-bulk"), ["customers", "service"])


def test_a_bulk_load_numbers_from_the_series_and_fills_the_widgets(bulk_app):
    from sqlalchemy import func, select

    from crm_core.testing_clients import client_as
    from plugins.service.demo import SUBJECTS
    from plugins.service.demo.bulk import fill
    from plugins.service.models import OPEN_STATES, ServiceRequest, Ticket

    crew = team(bulk_app)
    with bulk_app.app_context():
        session = bulk_app.extensions["crm_db"].new_session()
        report = fill(session, requests=400, subjects=SUBJECTS, batch=150,
                      progress=lambda _message: None)
        assert report.tables["service_ticket"] == 400
        assert report.tables["service_survey"] > 0
        numbers = set(session.scalars(select(ServiceRequest.number)))
        open_ = session.scalar(select(func.count()).select_from(Ticket)
                               .where(Ticket.state.in_(OPEN_STATES)))
        session.close()
    assert len(numbers) == 400 and 5 <= open_ <= 60

    entered = new_request(crew["agent_api"], crew["customer_id"])
    assert entered.status_code == 201, entered.get_json()
    assert entered.get_json()["number"] not in numbers

    agent = crew["agent"]
    for widget_id in ("service.sla_attainment", "service.response_times",
                      "service.satisfaction", "service.backlog_age"):
        data = agent.get(f"/api/v1/widgets/{widget_id}").get_json()["data"]
        assert data["labels"], widget_id
    outsider = client_as(bulk_app, "service", department="另一个部门")
    assert outsider.get("/api/v1/widgets/service.sla_attainment").get_json()["data"] == \
        {"labels": [], "values": []}
