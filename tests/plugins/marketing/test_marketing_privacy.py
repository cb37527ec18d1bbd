"""Personal data requests in marketing: the export lists a person's consents, the campaigns
they received, their event registrations and responses; the erasure leaves no trace of their
e-mail or phone in marketing's tables, and the suppression list keeps them out of every
audience frozen later, even when their address comes back with a new contact and consent."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import inspect, select, text

from crm_core.audit.chain import verify
from crm_core.testing import DATABASES, invoke_cli
from crm_core.testing_clients import create_test_user

EMAIL, PHONE = "li.na@example.com", "+8618600001111"


def _audience(app, user, tag_id: int, name: str) -> list[str]:
    """Freeze a new campaign on the tag and return its recipients' addresses."""
    from crm_core.db import get_session
    from plugins.marketing.audience import freeze
    from plugins.marketing.models import Campaign, CampaignMember

    with app.app_context():
        session = get_session()
        campaign = Campaign(name=name, audience={"tag_ids": [tag_id], "contacts": "all"})
        session.add(campaign)
        session.flush()
        freeze(session, campaign, user)
        session.commit()
        return sorted(session.scalars(select(CampaignMember.email)
                                      .where(CampaignMember.campaign_id == campaign.id)))


def _contact(session, tag_id: int, email: str, name: str) -> None:
    from plugins.customers import services as customers
    from plugins.marketing.consents import record_consent

    customer = customers.create_customer(session, name=name)
    customers.add_contact(session, customer.id, "李娜", email=email, is_primary=True)
    customers.add_tag(session, customer.id, tag_id)
    record_consent(session, {"email": email, "granted": True, "source": "import"}, None)


def _world(app) -> int:
    from crm_core.db import get_session
    from plugins.customers import services as customers
    from plugins.marketing.events.models import Event, Registration
    from plugins.marketing.models import Campaign
    from plugins.marketing.responses.models import Response

    with app.app_context():
        session = get_session()
        tag = customers.create_tag(session, "展会客户")
        _contact(session, tag.id, EMAIL, "星海贸易")
        _contact(session, tag.id, "chen@example.com", "东方电子")
        event_campaign = Campaign(name="春季展会", type="event")
        session.add(event_campaign)
        session.flush()
        event = Event(campaign_id=event_campaign.id, key="spring", place="上海")
        session.add(event)
        session.flush()
        session.add_all([
            Registration(event_id=event.id, campaign_id=event_campaign.id, code="A1",
                         name="李娜", email=None, phone=PHONE, company="星海贸易",
                         answers={"1": "素食"}),
            Registration(event_id=event.id, campaign_id=event_campaign.id, code="B2",
                         name="陈晨", email="chen@example.com", phone="+8613900002222"),
            Response(campaign_id=event_campaign.id, kind="manual", email=EMAIL,
                     note="李娜说 18600001111 可以联系")])
        session.commit()
        return tag.id


def _marketing_text(app) -> str:
    engine = app.extensions["crm_db"].engine
    with engine.connect() as connection:
        return "\n".join(repr(tuple(row)) for name in inspect(engine).get_table_names()
                         if name.startswith("marketing_")
                         for row in connection.execute(text(f'SELECT * FROM "{name}"')))


@pytest.mark.parametrize("database", DATABASES)
def test_a_persons_marketing_data_is_exported_erased_and_never_mailed_again(crm_make_app,
                                                                            database):
    app = crm_make_app(plugins=["customers", "marketing"], database=database)
    tag_id = _world(app)
    admin = create_test_user(app, "admin", superuser=True)
    assert _audience(app, admin, tag_id, "三月简报") == ["chen@example.com", EMAIL]

    result = invoke_cli(app, "privacy", "export", "--email", EMAIL, "--phone", "186 0000 1111")
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)["plugins"]["marketing"]
    assert [c["email"] for c in found["consents"]] == [EMAIL]
    assert [c["campaign"] for c in found["campaigns_received"]] == ["三月简报"]
    assert [r["name"] for r in found["event_registrations"]] == ["李娜"]
    assert [r["kind"] for r in found["responses"]] == ["manual"]

    result = invoke_cli(app, "privacy", "erase", "--email", EMAIL, "--phone", "18600001111",
                        "--yes")
    assert result.exit_code == 0, result.output
    stored = _marketing_text(app)
    for trace in (EMAIL, "18600001111", "李娜", "素食"):
        assert trace not in stored
    assert "chen@example.com" in stored and "陈晨" in stored
    with app.extensions["crm_db"].engine.connect() as connection:
        assert verify(connection).ok

    # the address comes back: a new contact, a new consent; marketing still leaves it out
    from crm_core.db import get_session

    with app.app_context():
        session = get_session()
        _contact(session, tag_id, EMAIL.upper(), "新星贸易")
        session.commit()
    assert _audience(app, admin, tag_id, "四月简报") == ["chen@example.com"]
