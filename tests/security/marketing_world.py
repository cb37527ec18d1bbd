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
                        audience={"tag_ids": [], "contacts": "all"})
    session.add(campaign)
    session.flush()
    cost = CampaignCost(campaign_id=campaign.id, spent_on=dt.date(2026, 3, 1),
                        item=f"{label} booth {secret}".strip(), amount=50_000)
    session.add(cost)
    consent = record_consent(session, {"email": contact_email, "granted": True,
                                       "source": "walk"}, owner)
    session.flush()
    return {"campaign_id": campaign.id, "campaign_cost_id": cost.id, "consent_id": consent.id}
