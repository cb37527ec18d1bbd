"""Helpers of the campaign e-mail tests (no tests here): a local SMTP sink wired into the
shared app, an approved campaign of tagged, consenting contacts, draining the outbox."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from marketing_testing import client_as, tagged_customers, unique

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "core"))
from outbox_smtp import SmtpServer  # noqa: E402

HTML = """<html><head><style>p { color: #333 }</style></head><body>
<p>尊敬的 {{ contact_name }}（{{ customer_name }}）：</p>
<p>会员日特惠，详见 <a href="https://shop.example.com/sale">活动页</a>。</p>
<p><a href="{{ unsubscribe_url }}">退订</a></p>
</body></html>"""


@contextmanager
def smtp_sink(app: Flask, **config: Any) -> Iterator[SmtpServer]:
    """A running SMTP sink as the app's ``CRM_SMTP_URL`` (and ``config``), undone after."""
    server = SmtpServer().start()
    values = {"CRM_SMTP_URL": server.url, "CRM_MAIL_FROM": "市场部 <marketing@example.com>",
              "CRM_BASE_URL": "https://crm.example.com",
              **config}
    saved = {key: app.config.get(key) for key in values}
    app.config.update(values)
    try:
        yield server
    finally:
        app.config.update(saved)
        server.stop()


def to(server: SmtpServer, addresses: set[str]) -> list[Any]:
    """The messages the sink got for ``addresses`` (other tests' mail left out)."""
    return [message for message in server.messages
            if str(message["To"]).strip().lower() in addresses]


def drain(app: Flask) -> dict[str, int]:
    """``crm outbox drain`` in the test process."""
    from crm_core.outbox.delivery import drain as run

    with app.app_context():
        return run().as_dict()


def approved_campaign(app: Flask, people: list[dict[str, Any]], *, html: str = HTML,
                      subject: str = "{{ contact_name }}，会员日特惠") -> dict[str, Any]:
    """Customers tagged for a new e-mail campaign, which is created and approved; returns
    ``{"api", "campaign_id", "emails", ...}`` (``emails``: the consenting addresses)."""
    made = tagged_customers(app, people)
    department = f"市场部 {unique()}"
    api = client_as(app, "marketing", department=department, api=True)
    created = api.post("/api/v1/marketing/campaigns", json={
        "name": f"会员日 {unique()}", "type": "email", "budget": "100", "subject": subject,
        "html": html, "audience": {"tag_ids": [made["tag_id"]]}})
    assert created.status_code == 201, created.get_json()
    campaign_id = created.get_json()["id"]
    moved = api.post(f"/api/v1/marketing/campaigns/{campaign_id}/state",
                     json={"state": "approved"})
    assert moved.get_json()["state"] == "approved", moved.get_json()
    emails = {person["email"].lower() for person in people if person.get("consent")}
    return {**made, "api": api, "campaign_id": campaign_id, "emails": emails,
            "department": department}


def people(count: int, domain: str = "example.com", **extra: Any) -> list[dict[str, Any]]:
    """``count`` consenting contacts with fresh addresses at ``domain``."""
    tag = unique()
    return [{"email": f"p{index}-{tag}@{domain}", "consent": True, **extra}
            for index in range(count)]
