"""What an API client reads of its rate limit: the headers of each answer, and a limiter whose
counter storage is down letting requests through."""

from __future__ import annotations

import logging
import time
import uuid

from crm_core.testing import create_test_user, invoke_cli


def _token(app, username: str) -> dict[str, str]:
    result = invoke_cli(app, "tokens", "create", "--user", username)
    assert result.exit_code == 0, result.output
    return {"Authorization": f"Bearer {result.output.strip().splitlines()[-1]}"}


def test_each_api_answer_tells_the_budget_left_and_429_when_to_retry(crm_make_app):
    app = crm_make_app(plugins=[], CRM_API_RATE_LIMIT="2 per minute",
                       CRM_RATELIMIT_KEY_PREFIX=f"crm-test-{uuid.uuid4().hex[:8]}")
    create_test_user(app, "sam")
    headers = _token(app, "sam")
    client = app.test_client()

    answers = [client.get("/api/v1/me", headers=headers) for _ in range(3)]
    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert [answer.headers["X-RateLimit-Remaining"] for answer in answers] == ["1", "0", "0"]
    assert {answer.headers["X-RateLimit-Limit"] for answer in answers} == {"2"}
    reset = int(answers[0].headers["X-RateLimit-Reset"])
    assert time.time() < reset <= time.time() + 60
    assert "Retry-After" not in answers[0].headers
    assert 0 < int(answers[2].headers["Retry-After"]) <= 60
    assert "2 per 1 minute" in answers[2].get_json()["detail"]

    # An address with no route is not counted, and pages outside /api/ carry no budget.
    assert "X-RateLimit-Limit" not in client.get("/api/v1/nothing-here", headers=headers).headers
    assert "X-RateLimit-Limit" not in client.get("/healthz").headers


def test_a_counter_storage_that_is_down_is_logged_and_lets_requests_through(crm_make_app,
                                                                              caplog):
    # Nothing listens on port 1: every count fails.
    app = crm_make_app(plugins=[], CRM_API_RATE_LIMIT="1 per minute",
                       CRM_RATELIMIT_STORAGE_URL="redis://127.0.0.1:1/0")
    create_test_user(app, "sam")
    headers = _token(app, "sam")
    client = app.test_client()
    with caplog.at_level(logging.ERROR, logger="crm_core.api.limits"):
        answers = [client.get("/api/v1/me", headers=headers) for _ in range(3)]
    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert "X-RateLimit-Limit" not in answers[0].headers
    assert any("rate limit storage failed" in record.getMessage()
               for record in caplog.records)
