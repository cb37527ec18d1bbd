"""Demo registrations and check-ins of the seeded event campaigns (``demo.py`` calls it).

Each event campaign past planning gets its registration settings (capacity, place, time,
introduction and three questions, in the seed's language) and up to ``REGISTRANTS`` people
from the seeded contacts, registered through the public page's own ``register`` (so they are
matched to their customers, their consent recorded when ticked, and each registration is a
response: with sales enabled, an opportunity). Registration stays open while the campaign
is approved or running; once it is completed or evaluated, about 70 % of the registrants
were checked in on the day and registration is closed.
"""

from __future__ import annotations

import datetime as dt
import logging
import random

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from crm_core.toolkit import DomainError, model_for_table
from plugins.customers.services import CONTACT_TABLE, CUSTOMER_TABLE

from .events.models import Registration
from .events.questions import NO, YES
from .events.register import register
from .events.services import save_settings
from .models import Campaign
from .plugin import N_

log = logging.getLogger(__name__)
REGISTRANTS = 12
PLACES = (N_("Shanghai New International Expo Centre, Hall W2"),
          N_("Hangzhou Marriott Hotel, 3rd floor ballroom"),
          N_("Shenzhen Convention Centre, Room 5A"),
          N_("Company headquarters, Beijing, training room"))
INTRO = N_("New products on show, talks by our engineers and a chance to meet our team. "
           "Lunch is provided.")
JOBS = (N_("Purchasing manager"), N_("Engineer"), N_("General manager"), N_("Sales director"))


def _questions() -> str:
    return "\n".join((f"*{_('Job title')}",
                      f"{_('Lunch')} | choice: {_('Vegetarian')}, {_('Regular')}",
                      f"{_('Need a parking space')} | yesno"))


def _people(session: Session, offset: int) -> list[tuple[str, str, str, str]]:
    contact = model_for_table(CONTACT_TABLE)
    customer = model_for_table(CUSTOMER_TABLE)
    rows = session.execute(
        select(contact.name, contact.phones, contact.email, customer.name)
        .join(customer, customer.id == contact.customer_id)
        .where(contact.email != "", customer.deleted_at.is_(None))
        .order_by(contact.id).offset(offset).limit(REGISTRANTS)).all()
    return [(name or "", str((phones or [""])[0] or ""), email or "", company or "")
            for name, phones, email, company in rows]


def _day(campaign: Campaign) -> dt.datetime:
    start = campaign.start_date or dt.date.today()
    return dt.datetime.combine(start, dt.time(6, 0), dt.UTC)  # 14:00 in Beijing


def add_events(session: Session, campaigns: list[Campaign], rng: random.Random) -> int:
    """Registration settings, registrants and check-ins for the seeded event campaigns
    past planning; answers how many people were registered."""
    registered = 0
    for number, campaign in enumerate(campaigns):
        if campaign.type != "event" or campaign.state in ("planned", "pending_approval"):
            continue
        day = _day(campaign)
        event = save_settings(session, campaign, {
            "capacity": rng.choice((50, 80, 120, 200)), "place": _(rng.choice(PLACES)),
            "schedule": f"{day.date().isoformat()} 14:00–17:30", "intro": _(INTRO),
            "questions": _questions(), "is_open": True})
        people = _people(session, (number * 11) % 150)
        for index, (name, phone, email, company) in enumerate(people):
            values = {"name": name, "phone": phone, "email": email, "company": company,
                      "consent": rng.random() < 0.6 and bool(email),
                      "q0": _(rng.choice(JOBS)), "q1": rng.choice((_("Vegetarian"),
                                                                   _("Regular"))),
                      "q2": YES if index % 3 == 0 else NO}
            try:
                outcome = register(session, event, campaign, values)
            except DomainError as error:  # a seeded phone that does not parse, say
                log.info("Demo registration of %s skipped: %s", name, error)
                continue
            registration = outcome.registration
            at = day - dt.timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 10))
            checked = campaign.state in ("completed", "evaluated") and rng.random() < 0.7
            session.execute(update(Registration).where(Registration.id == registration.id)
                            .values(created_at=at, checked_in_at=(
                                day + dt.timedelta(minutes=rng.randint(-30, 40))
                                if checked else None)))
            registered += not outcome.duplicate
        event.is_open = campaign.state in ("approved", "running")
    session.flush()
    return registered
