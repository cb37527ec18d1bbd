"""Approvals decided in the OA, end to end against the fake DingTalk: the request goes out
through the outbox under the requester's OA identity, the OA's signed callback decides it."""

from __future__ import annotations

import pytest
from oa_testing import approval_status, build, drain, instance, request

pytestmark = pytest.mark.crm_plugins("oa_bridge")


@pytest.fixture
def world(crm_app, tmp_path):
    built = build(crm_app, tmp_path)
    yield built
    built.fake.stop()


def test_an_approval_goes_to_the_oa_and_its_decision_comes_back(world):
    result = request(world, 1, amount=1234)
    assert result.provider == "oa_bridge" and result.status == "pending"
    assert drain(world).delivered == 1
    row = instance(world, result.approval_id)
    assert row.status == "open"
    sent = world.fake.instances[row.instance_id]
    assert sent["originatorUserId"] == "dt-rep" and sent["processCode"] == "PROC-1"
    assert sent["deptId"] == 42
    assert {"name": "金额", "value": "1234.00"} in sent["formComponentValues"]
    # the manager cannot decide it in the CRM while the OA instance is open
    answer = world.api_post("boss", f"/api/v1/approvals/{result.approval_id}/approve", {})
    assert answer.status_code == 409 and "oa_bridge" in answer.get_data(as_text=True)
    response = world.fake.decide(row.instance_id, agree=True, staff_id="dt-rep",
                                 send=world.post_callback)
    assert response.status_code == 200
    assert approval_status(world, result.approval_id) == "approved"
    assert instance(world, result.approval_id).status == "decided"


def test_a_refusal_in_the_oa_rejects_and_the_token_is_shared(world):
    first, second = request(world, 2), request(world, 3)
    assert drain(world).delivered == 2
    assert world.fake.token_fetches == 1  # one token for both calls, from the shared cache
    row = instance(world, second.approval_id)
    world.fake.decide(row.instance_id, agree=False, send=world.post_callback)
    assert approval_status(world, second.approval_id) == "rejected"
    assert approval_status(world, first.approval_id) == "pending"


def test_throttling_waits_5xx_retries_and_4xx_fails_without_retrying(world):
    world.fake.fail_next = [(429, {"code": "Forbidden.AccessDenied.QpsLimitForApi"})]
    request(world, 4)
    report = drain(world)
    assert report.delivered == 1  # waited once, then the call went through
    world.fake.fail_next = [(503, {"code": "ServiceUnavailable"})]
    retried = request(world, 5)
    assert drain(world).failed == 1  # the outbox tries again later, with backoff
    assert instance(world, retried.approval_id).status == "sending"
    world.fake.fail_next = [(401, {"code": "InvalidAuthentication"})]
    fetched = world.fake.token_fetches
    request(world, 7)
    assert drain(world).delivered == 1  # a refused token is fetched again, once
    assert world.fake.token_fetches == fetched + 1
    world.fake.fail_next = [(400, {"code": "invalidProcessCode", "message": "no such process"})]
    refused = request(world, 6)
    assert drain(world).delivered == 1  # not retried: a wrong mapping does not heal
    row = instance(world, refused.approval_id)
    assert row.status == "failed" and "invalidProcessCode" in row.error


def test_an_unmapped_definition_or_an_unlinked_requester_stays_in_the_web_ui(world):
    from crm_core.db import get_session
    from crm_core.toolkit import request_approval

    with world.app.app_context():
        session = get_session()
        result = request_approval("test.other", 1, "Other", requester=world.users["rep"].id,
                                  session=session)
        assert result.provider is None
        unlinked = request_approval("test.oa_thing", 99, "Unlinked", amount=1,
                                    requester=world.users["root"].id, session=session)
        assert unlinked.provider is None and unlinked.needed
        session.rollback()


def test_the_fakes_decide_action_posts_to_a_live_crm_over_http(world):
    import threading

    from werkzeug.serving import make_server

    result = request(world, 8)
    drain(world)
    row = instance(world, result.approval_id)
    server = make_server("127.0.0.1", 0, world.app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        import httpx

        port = server.server_address[1]
        answer = httpx.post(f"{world.fake.url}/_fake/decide", json={
            "instanceId": row.instance_id, "result": "agree",
            "callback": f"http://127.0.0.1:{port}/oa/callback/dt"}, timeout=10)
        assert answer.json() == {"callbackStatus": 200}
    finally:
        server.shutdown()
    assert approval_status(world, result.approval_id) == "approved"


def test_a_request_withdrawn_in_the_oa_is_withdrawn_here_and_a_late_decision_is_ignored(world):
    result = request(world, 9)
    drain(world)
    row = instance(world, result.approval_id)
    terminate = {"EventType": "bpms_instance_change", "processInstanceId": row.instance_id,
                 "type": "terminate", "corpId": world.fake.corp_id}
    assert world.post_callback(*world.fake.callback(terminate)).status_code == 200
    assert approval_status(world, result.approval_id) == "withdrawn"
    late = world.fake.decide(row.instance_id, agree=True, send=world.post_callback)
    assert late.status_code == 200
    assert approval_status(world, result.approval_id) == "withdrawn"


def test_a_decision_before_the_instance_id_is_stored_is_retried_by_the_vendor(world):
    result = request(world, 10)  # still "sending": the outbox has not run
    event = world.fake.decision_event("PI-1", agree=True)
    assert world.post_callback(*world.fake.callback(event)).status_code == 503
    drain(world)
    assert instance(world, result.approval_id).instance_id == "PI-1"
    assert world.post_callback(*world.fake.callback(event)).status_code == 200
    assert approval_status(world, result.approval_id) == "approved"
