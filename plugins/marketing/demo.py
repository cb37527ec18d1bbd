"""Marketing demo data (a part: ``demo_data``): ``crm seed --marketing N``.

Adds N campaigns spread over every type and state (planned to evaluated; none left waiting
for an approval) with budgets, dates around today and one to three cost lines each, owned by
the first administrator in a demo department (``市场部`` / "Marketing department", created
when missing); and a consent for up to 5·N of the existing contacts' addresses (seed the
customers first, or in the same run): most granted at a trade show or on the web form, some
withdrawn by an unsubscribe. Each campaign that ran gets recipients (contacts with an
address) sent, opened and clicked in plausible shares, and responses (through
``record_response``: with sales enabled they open opportunities, and some of those of
completed campaigns are won), so the evaluation pages and widgets show something. Words in
the seed's language (``--language``).
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import create_department, model_for_table
from plugins.customers.services import CONTACT_TABLE

from .consents import ConsentError, record_consent
from .demo_activity import add_activity
from .demo_events import add_events
from .models import TYPES, Campaign, CampaignCost
from .plugin import N_

SEED = 2027
NAMES = (N_("Spring product launch e-mail"), N_("Customer appreciation meeting"),
         N_("Shanghai industrial expo"), N_("Online search ads"),
         N_("Key account call-back month"), N_("Dealer conference"),
         N_("Year-end promotion e-mail"), N_("New store opening event"))
GOALS = (N_("Win back customers who have not ordered this year"),
         N_("Collect leads for the new product line"),
         N_("Raise attendance of key accounts"))
CHANNELS = (N_("E-mail"), N_("WeChat"), N_("Trade show"), N_("Search engine"), N_("Phone"))
COST_ITEMS = (N_("Venue rental"), N_("Printed materials"), N_("Booth construction"),
              N_("Advertising fees"), N_("Gifts"), N_("Outsourced call centre"))
STATES = ("planned", "approved", "running", "completed", "evaluated")
SOURCES = (N_("Trade show sign-up"), N_("Web form"), N_("Phone confirmation"))


def _owner(session: Session) -> tuple[int | None, int | None]:
    user = model_for_table("core_user")
    admin = session.scalar(select(user).where(user.is_superuser.is_(True),
                                              user.is_active.is_(True)).order_by(user.id)
                           .limit(1))
    department = create_department(session, _("Marketing department"))
    return (admin.id if admin is not None else None), department.id


def add_campaigns(session: Session, size: int, rng: random.Random) -> list[Campaign]:
    """``size`` demo campaigns with their cost lines."""
    owner_id, department_id = _owner(session)
    today = dt.date.today()
    made = []
    for number in range(size):
        state = STATES[number % len(STATES)]
        start = today + dt.timedelta(days=rng.randint(-120, -10) if state != "planned"
                                     else rng.randint(5, 60))
        budget = rng.choice((8_000, 20_000, 45_000, 80_000, 150_000)) * 100
        campaign = Campaign(
            name=f"{_(NAMES[number % len(NAMES)])} {number + 1}", goal=_(rng.choice(GOALS)),
            type=TYPES[number % len(TYPES)], channel=_(rng.choice(CHANNELS)),
            start_date=start, end_date=start + dt.timedelta(days=rng.randint(3, 45)),
            budget=budget, expected_responses=rng.randint(20, 500), state=state,
            owner_id=owner_id, department_id=department_id,
            audience={"tag_ids": [], "exclude_tag_ids": [], "contacts": "primary",
                      "exclude_emails": []})
        session.add(campaign)
        made.append(campaign)
    session.flush()
    for campaign in made:
        if campaign.state == "planned":
            continue
        for line in range(rng.randint(1, 3)):
            session.add(CampaignCost(campaign_id=campaign.id,
                                     spent_on=campaign.start_date + dt.timedelta(days=line),
                                     item=_(rng.choice(COST_ITEMS)),
                                     amount=int(campaign.budget * rng.uniform(0.1, 0.35))))
    session.flush()
    return made


def add_consents(session: Session, size: int, rng: random.Random) -> int:
    """A consent for up to ``size`` contact addresses: four in five granted, then one in
    eight of those withdrawn (an unsubscribe)."""
    contact = model_for_table(CONTACT_TABLE)
    count = 0
    for email in session.scalars(select(contact.email).where(contact.email != "")
                                 .order_by(contact.id).limit(size)):
        try:
            granted = rng.random() < 0.8
            record_consent(session, {"email": email, "granted": granted,
                                     "source": _(rng.choice(SOURCES))}, None)
            if granted and rng.random() < 0.125:
                record_consent(session, {"email": email, "granted": False,
                                         "source": "unsubscribe"}, None)
        except ConsentError:
            continue
        count += 1
    return count


def demo_data(size: int, session: Any) -> list[Any]:
    """``crm seed --marketing N``: N campaigns, and consents for up to 5·N addresses (the
    parts' protocol wants a list: nothing to offer back)."""
    rng = random.Random(SEED)
    made = add_campaigns(session, size, rng)
    add_consents(session, size * 5, rng)
    add_activity(session, made, rng)
    add_events(session, made, rng)
    return []
