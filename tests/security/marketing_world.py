"""One marketing record of every kind for a department of the security walk (no tests here).

Ids are keyed by the URL variable that names them (``<object>_id``, as Resources name their
routes). The campaign and its cost line carry the West marker when the department is West's;
the consent ledger is every department's (``SHARED_RECORDS``): no secret in it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any


def marketing_records(session: Any, owner: Any, department_id: int, label: str, secret: str,
                      contact_email: str) -> dict[str, Any]:
    """A campaign owned by ``owner`` in the department with an audience definition and a
    cost line, and a consent for the department's contact address."""
    from plugins.marketing.consents import record_consent
    from plugins.marketing.models import Campaign, CampaignCost

    campaign = Campaign(name=f"{label} campaign {secret}".strip(), type="email",
                        goal=f"{label} goal {secret}".strip(), budget=100_000,
                        owner_id=owner.id, department_id=department_id,
                        audience={"tag_ids": [], "contacts": "all"},
                        subject=f"{label} offer", html="<p>{{ contact_name }}</p>")
    session.add(campaign)
    session.flush()
    cost = CampaignCost(campaign_id=campaign.id, spent_on=dt.date(2026, 3, 1),
                        item=f"{label} booth {secret}".strip(), amount=50_000)
    session.add(cost)
    tracking_records(session, campaign.id, label, secret)
    response_records(session, campaign.id, label, secret)
    events = event_records(session, campaign, label, secret)
    consent = record_consent(session, {"email": contact_email, "granted": True,
                                       "source": "walk"}, owner)
    session.flush()
    return {"campaign_id": campaign.id, "campaign_cost_id": cost.id, "consent_id": consent.id,
            **events}


def tracking_records(session: Any, campaign_id: int, label: str, secret: str) -> None:
    """A recipient of the campaign who clicked a tracked link (the recipients page and the
    clicks per link show both)."""
    from plugins.marketing.models import CampaignMember
    from plugins.marketing.tracking.models import LinkClick, TrackedLink

    member = CampaignMember(campaign_id=campaign_id, email=f"{label}-{secret}@example.com",
                            status="clicked")
    link = TrackedLink(campaign_id=campaign_id, number=1,
                       url=f"https://example.com/{label}/{secret}")
    session.add_all([member, link])
    session.flush()
    session.add(LinkClick(link_id=link.id, member_id=member.id))


def response_records(session: Any, campaign_id: int, label: str, secret: str) -> None:
    """A response logged by hand with a note (the evaluation page lists it)."""
    from plugins.marketing.responses.models import Response

    session.add(Response(campaign_id=campaign_id, kind="manual",
                         email=f"caller-{label}-{secret}@example.com".lower(),
                         note=f"{label} response {secret}".strip()))


def event_records(session: Any, campaign: Any, label: str, secret: str) -> dict[str, Any]:
    """Registration settings on the campaign and one registrant (the registrants page, its
    export, the check-in page and the API show them), and an event campaign of its own with
    an open registration page (its settings form and the public form are fuzzed):
    ``event_campaign_id`` and ``event_key``."""
    from plugins.marketing.events.models import Event, Registration
    from plugins.marketing.events.services import new_code, new_key
    from plugins.marketing.models import Campaign

    meeting = Campaign(name=f"{label} meeting {secret}".strip(), type="event", budget=0,
                       owner_id=campaign.owner_id, department_id=campaign.department_id)
    session.add(meeting)
    session.flush()
    events = [Event(campaign_id=campaign.id, key=new_key(), is_open=True, questions=[],
                    place=f"{label} hall {secret}".strip()),
              Event(campaign_id=meeting.id, key=new_key(), is_open=True, capacity=100,
                    questions=[{"id": "q0", "label": "Role", "kind": "text", "choices": [],
                                "required": True}])]
    session.add_all(events)
    session.flush()
    session.add(Registration(event_id=events[0].id, campaign_id=campaign.id,
                             code=new_code(session), name=f"{label} guest {secret}".strip(),
                             email=f"guest-{label}-{secret}@example.com".lower()))
    return {"event_campaign_id": meeting.id, "event_key": events[1].key}
