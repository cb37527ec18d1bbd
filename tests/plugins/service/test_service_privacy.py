"""Personal data requests in customer service: the export finds the requests a person wrote
in (by requester e-mail or phone in any form, or as the person customer), their tickets, the
replies sent to them and their surveys; the erasure blanks them and nothing else, and the
operation log's chain still verifies."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from crm_core.audit.chain import verify
from crm_core.testing import DATABASES, invoke_cli

EMAIL = "wang.wu@example.com"


def _world(app) -> dict[str, int]:
    from crm_core.db import get_session
    from plugins.customers import services as customers
    from plugins.service.models import ServiceRequest, Survey, Ticket, TicketMessage

    now = dt.datetime.now(dt.UTC)
    with app.app_context():
        session = get_session()
        company = customers.create_customer(session, name="远航物流", kind="company")
        person = customers.create_customer(session, name="王五", kind="person",
                                           phones=["13700001234"])
        other = customers.create_customer(session, name="赵六", kind="person")
        public = ServiceRequest(number="SR-1", customer_id=company.id, subject="发票没收到",
                                content="请联系 wang.wu@example.com", channel="web",
                                requester_name="王五", requester_email="Wang.Wu@Example.com",
                                requester_phone="137 0000 1234")
        own = ServiceRequest(number="SR-2", customer_id=person.id, subject="投诉快递慢",
                             content="三天没到")
        unrelated = ServiceRequest(number="SR-3", customer_id=other.id, subject="咨询价格",
                                   content="赵六问价格", requester_email="zhao@example.com")
        session.add_all([public, own, unrelated])
        session.flush()
        tickets = [Ticket(request_id=r.id, number=f"T-{r.number}", customer_id=r.customer_id,
                          subject=r.subject) for r in (public, own, unrelated)]
        session.add_all(tickets)
        session.flush()
        session.add_all([
            TicketMessage(ticket_id=tickets[0].id, kind="reply", body="王五您好，已补寄"),
            TicketMessage(ticket_id=tickets[0].id, kind="note", body="打过 13700001234 了"),
            TicketMessage(ticket_id=tickets[2].id, kind="reply", body="赵六您好"),
            Survey(ticket_id=tickets[1].id, customer_id=person.id, sent_to=EMAIL, sent_at=now,
                   expires_at=now, stars=2, comment="太慢了"),
            Survey(ticket_id=tickets[2].id, customer_id=other.id, sent_to="zhao@example.com",
                   sent_at=now, expires_at=now, stars=5, comment="很好")])
        session.commit()
        return {"public": public.id, "own": own.id, "unrelated": unrelated.id}


@pytest.mark.parametrize("database", DATABASES)
def test_a_requesters_service_data_is_exported_then_erased(crm_make_app, database):
    app = crm_make_app(plugins=["customers", "service"], database=database)
    ids = _world(app)

    result = invoke_cli(app, "privacy", "export", "--email", EMAIL, "--phone", "137-0000-1234")
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)["plugins"]["service"]
    assert sorted(r["id"] for r in found["requests"]) == sorted([ids["public"], ids["own"]])
    assert len(found["tickets"]) == 2
    assert [r["body"] for r in found["replies"]] == ["王五您好，已补寄"]
    assert [s["comment"] for s in found["surveys"]] == ["太慢了"]

    result = invoke_cli(app, "privacy", "erase", "--email", EMAIL, "--phone", "13700001234",
                        "--yes")
    assert result.exit_code == 0, result.output
    with app.app_context():
        from crm_core.db import get_session
        from plugins.service.models import ServiceRequest, Survey, TicketMessage

        session = get_session()
        requests = {r.id: r for r in session.scalars(select(ServiceRequest))}
        for key in ("public", "own"):
            request = requests[ids[key]]
            assert (request.requester_email, request.requester_phone,
                    request.requester_name) == ("", "", "")
            assert "wang.wu" not in request.content and request.subject == "[erased]"
        assert requests[ids["unrelated"]].content == "赵六问价格"
        bodies = sorted(m.body for m in session.scalars(select(TicketMessage)))
        assert bodies == sorted(["[erased]", "打过 [erased] 了", "赵六您好"])
        surveys = {s.sent_to: s.comment for s in session.scalars(select(Survey))}
        assert surveys == {"": "", "zhao@example.com": "很好"}
        with app.extensions["crm_db"].engine.connect() as connection:
            assert verify(connection).ok
    again = json.loads(invoke_cli(app, "privacy", "export", "--email", EMAIL).output)
    assert "service" not in again["plugins"]
