"""``/metrics``: Prometheus figures for the local scraper (or a token), 404 for anyone else;
request latency per endpoint summed over every gunicorn worker; queue, outbox, sign-in and
backup figures read from the shared stores."""

from __future__ import annotations

import http.client
import re
import time

from prometheus_client.parser import text_string_to_metric_families
from serving import crm_served

from crm_core.db import get_session
from crm_core.jobs.models import Job
from crm_core.testing import invoke_cli
from crm_core.toolkit import send_mail

PASSWORD = "metrics-test-Pw-1357"
LOCAL = {"REMOTE_ADDR": "127.0.0.1"}
OUTSIDE = {"REMOTE_ADDR": "203.0.113.9"}


def _samples(body: str) -> dict[tuple[str, tuple], float]:
    found = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def _value(samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_only_the_local_scraper_or_the_token_reads_the_metrics(crm_make_app):
    app = crm_make_app(plugins=[], CRM_METRICS_TOKEN="s3cret-scrape-token")
    client = app.test_client()
    assert client.get("/metrics", environ_base=LOCAL).status_code == 200
    refused = client.get("/metrics", environ_base=OUTSIDE)
    assert refused.status_code == 404
    assert b"crm_" not in refused.data
    wrong = client.get("/metrics", environ_base=OUTSIDE,
                       headers={"Authorization": "Bearer guess"})
    assert wrong.status_code == 404
    token = client.get("/metrics", environ_base=OUTSIDE,
                       headers={"Authorization": "Bearer s3cret-scrape-token"})
    assert token.status_code == 200
    assert token.content_type.startswith("text/plain")


def test_the_shared_state_is_counted_when_scraped(crm_make_app, tmp_path):
    app = crm_make_app(plugins=[], CRM_BACKUP_DIR=str(tmp_path / "backups"))
    client = app.test_client()
    before = _samples(client.get("/metrics", environ_base=LOCAL).get_data(as_text=True))
    assert _value(before, "crm_backup_age_seconds") == -1
    with app.app_context():
        send_mail("ops@example.com", "Nightly report", "text")
        session = get_session()
        session.add(Job(kind="test", task="noop", state="queued"))
        session.commit()
    assert invoke_cli(app, "users", "ensure-admin").exit_code == 0
    page = client.get("/login", environ_base=LOCAL).get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    bad = client.post("/login", data={"csrf_token": token, "username": "admin",
                                      "password": "not-it"}, environ_base=LOCAL)
    assert "admin" in bad.get_data(as_text=True)  # the form again, with its error
    assert invoke_cli(app, "backup", "create").exit_code == 0
    after = _samples(client.get("/metrics", environ_base=LOCAL).get_data(as_text=True))
    assert _value(after, "crm_outbox_messages", status="pending") == \
        _value(before, "crm_outbox_messages", status="pending") + 1
    assert _value(after, "crm_jobs", state="queued") == \
        _value(before, "crm_jobs", state="queued") + 1
    assert _value(after, "crm_failed_sign_ins_recent") >= 1
    assert 0 <= _value(after, "crm_backup_age_seconds") < 60


def _get(port: int, path: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read().decode()
    connection.close()
    return response.status, body


def test_request_latency_is_summed_over_every_worker(tmp_path):
    with crm_served(tmp_path, PASSWORD, workers=2) as port:
        _status, first = _get(port, "/metrics")
        start = _value(_samples(first), "crm_request_seconds_count",
                       endpoint="core_health.healthz", method="GET", status="2xx")
        for _ in range(40):  # new connections: gunicorn hands them to both workers
            assert _get(port, "/healthz")[0] == 200
        time.sleep(0.2)
        status, body = _get(port, "/metrics")
        assert status == 200
        samples = _samples(body)
        count = _value(samples, "crm_request_seconds_count", endpoint="core_health.healthz",
                       method="GET", status="2xx")
        assert count - start == 40
        files = list((tmp_path / "prometheus").glob("*.db"))
        assert len({re.sub(r"\D", "", item.name) for item in files}) >= 2  # two workers wrote
