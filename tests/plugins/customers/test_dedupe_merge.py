"""Merging customers: the kept customer gets the chosen values, every phone and email, the
contacts, contact records and tags, the summed amount and the latest contact; the others go to
the trash with a note; other plugins hear ``customer_merged``; a failed merge changes nothing;
the merge page lets a manager choose and confirm, and nobody else may."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from customers_testing import add_user, app_session, client_for
from sqlalchemy import func, select

from crm_core.audit.models import AuditEntry
from crm_core.db import get_session
from crm_core.errors import DomainError
from crm_core.rbac.departments import create_department
from crm_core.toolkit import hookimpl
from plugins.customers import services
from plugins.customers.duplicates.merge import MERGE_FIELDS, merge_customers
from plugins.customers.models import (
    Contact,
    ContactRecord,
    Customer,
    CustomerPhone,
    CustomerTag,
)
from plugins.customers.validation import uscc_check_char

USCC = "91110108MA01C3XK5" + uscc_check_char("91110108MA01C3XK5")
JAN, MAR = (dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC), dt.datetime(2026, 3, 7, 9, tzinfo=dt.UTC))


class MergeListener:
    """A test plugin: remembers each ``customer_merged`` call and what it saw then."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, list[int]]] = []

    @hookimpl
    def customer_merged(self, target_id: int, merged_ids: list[int]) -> None:
        self.calls.append((target_id, list(merged_ids)))


@pytest.fixture
def listener(customers_app):
    heard = MergeListener()
    customers_app.extensions["crm"].pm.register(heard, name="merge-listener")
    return heard


def two_acmes(session):
    """Two records of one company, each with its own phones, contacts, records and tags."""
    vip = services.create_tag(session, "VIP")
    hot = services.create_tag(session, "Hot")
    kept = services.create_customer(session, name="ACME", phones="13800000001",
                                    emails="a@acme.example", industry="", level="A")
    other = services.create_customer(session, name="ACME 有限公司", code="ACME-OLD", uscc=USCC,
                                     phones=["13800000002", "+86 138 0000 0001",
                                             "010-12345678 转 12"],
                                     emails="B@acme.example", industry="制造", level="B",
                                     notes="old record")
    services.add_tag(session, kept.id, vip.id)
    services.add_tag(session, other.id, vip.id)
    services.add_tag(session, other.id, hot.id)
    services.add_contact(session, kept.id, "李雷", is_primary=True)
    services.add_contact(session, other.id, "韩梅梅", is_primary=True)
    services.add_contact_record(session, kept.id, kind="call", occurred_at=JAN)
    services.add_contact_record(session, other.id, kind="visit", occurred_at=MAR)
    services.adjust_total_amount(session, kept.id, "100.10")
    services.adjust_total_amount(session, other.id, "0.90")
    session.commit()
    return kept, other, vip, hot


def test_merge_fields_are_the_customer_fields_but_phones_and_emails():
    assert set(MERGE_FIELDS) == set(services.CUSTOMER_FIELDS) - {"phones", "emails"}


def test_merge_moves_everything_to_the_kept_customer(session, listener):
    kept, other, vip, hot = two_acmes(session)
    old_code = other.code
    merge_customers(session, kept.id, [other.id], {"code": other.id, "uscc": other.id,
                                                   "level": other.id})
    session.commit()
    session.expire_all()

    kept, other = session.get(Customer, kept.id), session.get(Customer, other.id)
    # Chosen values, and the target's empty industry filled from the other by default.
    assert (kept.name, kept.code, kept.uscc, kept.level, kept.industry) == (
        "ACME", old_code, USCC, "B", "制造")
    assert kept.phones == ["+8613800000001", "+8613800000002", "+861012345678;ext=12"]
    assert kept.emails == ["a@acme.example", "b@acme.example"]
    assert kept.total_amount == 10100 and services.to_minor_units("101.00") == 10100
    assert kept.last_contact_at.replace(tzinfo=dt.UTC) == MAR
    assert sorted(session.scalars(select(Contact.name).where(
        Contact.customer_id == kept.id))) == ["李雷", "韩梅梅"]
    assert session.scalar(select(func.count()).where(
        Contact.customer_id == kept.id, Contact.is_primary.is_(True))) == 1
    assert sorted(session.scalars(select(ContactRecord.kind).where(
        ContactRecord.customer_id == kept.id))) == ["call", "visit"]
    assert sorted(session.scalars(select(CustomerTag.tag_id).where(
        CustomerTag.customer_id == kept.id))) == sorted([vip.id, hot.id])
    assert session.scalar(select(func.count()).select_from(CustomerTag).where(
        CustomerTag.customer_id == other.id)) == 0

    # The merged customer is in the trash, says where it went, and has a new code.
    assert other.deleted_at is not None and other.total_amount == 0
    assert other.notes == f"old record\nMerged into {old_code}."
    assert other.code and other.code != old_code and other.uscc is None
    with pytest.raises(services.CustomerNotFound):
        services.get_customer(session, other.id)
    assert listener.calls == [(kept.id, [other.id])]


def test_after_a_merge_search_finds_the_kept_customer_by_the_merged_ones_phone(customers_app,
                                                                             session):
    from plugins.customers.search.services import search_customers

    root = add_user(customers_app, session, "root", [], superuser=True)
    kept, other, _vip, _hot = two_acmes(session)
    assert [c.id for c in search_customers(session, "13800000002", user=root)] == [other.id]
    merge_customers(session, kept.id, [other.id])
    session.commit()
    assert [c.id for c in search_customers(session, "13800000002", user=root)] == [kept.id]


def test_three_customers_merge_into_one_with_a_single_primary_contact(session, listener):
    kept = services.create_customer(session, name="ACME")
    services.add_contact(session, kept.id, "Plain", is_primary=False)
    others = [services.create_customer(session, name=f"ACME {n}") for n in (2, 3)]
    for other in others:
        services.add_contact(session, other.id, f"Boss {other.id}", is_primary=True)
    session.commit()
    merge_customers(session, kept.id, [other.id for other in others])
    session.commit()
    primaries = session.scalars(select(Contact.name).where(
        Contact.customer_id == kept.id, Contact.is_primary.is_(True))).all()
    assert primaries == [f"Boss {others[0].id}"]
    assert listener.calls == [(kept.id, [others[0].id, others[1].id])]
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "merge"))
    assert entry.message == f"Merged {others[0].code}, {others[1].code} into {kept.code}."


def test_merge_is_in_the_operation_log(customers_app, session, listener):
    kept, other, _vip, _hot = two_acmes(session)
    merge_customers(session, kept.id, [other.id])
    session.commit()
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "merge"))
    assert entry.model == "customers_customer" and entry.record_id == str(kept.id)
    assert json.loads(entry.changes)["merged_ids"] == [other.id]
    moved = session.scalars(select(AuditEntry).where(
        AuditEntry.model == "customers_contact_record", AuditEntry.action == "update")).all()
    assert len(moved) == 1 and str(kept.id) in moved[0].changes


def test_a_merge_with_a_customer_out_of_scope_changes_nothing(customers_app, session,
                                                              listener):
    team_a = create_department(session, "Team A").id
    team_b = create_department(session, "Team B").id
    session.commit()
    mia = add_user(customers_app, session, "mia", ["manager"], team_a)
    bob = add_user(customers_app, session, "bob", ["sales"], team_b)
    kept, other, _vip, _hot = two_acmes(session)
    services.update_customer(session, kept.id, {"owner_id": mia})  # the owner's department
    services.update_customer(session, other.id, {"owner_id": bob})
    session.commit()
    log_size = session.scalar(select(func.count()).select_from(AuditEntry))

    with pytest.raises(services.CustomerNotFound):
        merge_customers(session, kept.id, [other.id], {"code": other.id}, user=mia)
    session.commit()  # even a caller that commits after the failure keeps nothing of it
    session.expire_all()
    assert session.get(Customer, other.id).deleted_at is None
    assert session.get(Customer, other.id).code == "ACME-OLD"
    assert session.scalar(select(func.count()).where(Contact.customer_id == other.id)) == 1
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == log_size
    assert listener.calls == []


def test_a_refused_merge_says_why_and_changes_nothing(session):
    kept, other, _vip, _hot = two_acmes(session)
    for target, merged, choices, says in [
        (kept.id, [], {}, "at least two"),
        (kept.id, [kept.id], {}, "at least two"),
        (kept.id, [other.id], {"colour": other.id}, "Unknown customer fields"),
        (kept.id, [other.id], {"name": 999999}, "not being merged"),
        (kept.id, list(range(other.id, other.id + 10)), {}, "at most 10"),
    ]:
        with pytest.raises(DomainError, match=says):
            merge_customers(session, target, merged, choices)
    session.commit()
    assert session.get(Customer, other.id).deleted_at is None


def test_the_merge_page_chooses_values_and_asks_for_confirmation(customers_app, listener):
    with app_session(customers_app) as session:
        team_a = create_department(session, "Team A").id
        session.commit()
        mia = add_user(customers_app, session, "mia", ["manager"], team_a)
        kept, other, _vip, _hot = two_acmes(session)
        kept, other = kept.id, other.id
        for customer_id in (kept, other):
            services.update_customer(session, customer_id, {"owner_id": mia})
    client = client_for(customers_app, mia)

    page = client.get(f"/customers/merge?ids={kept}&ids={other}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "ACME-OLD" in html and "制造" in html and "Customer to keep" in html
    assert 'name="field_level"' in html and 'name="field_name"' in html
    assert 'name="field_website"' not in html  # the same (empty) everywhere: nothing to choose
    assert "dedupe.js" in html and "<script>" not in html
    assert 'data-code="ACME-OLD"' in html  # for the confirmation text (dedupe.js)
    assert re.search(rf'<input checked[^>]*name="target"[^>]*value="{kept}"', html)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    form = {"csrf_token": token, "ids": [kept, other], "target": other,
            "field_name": kept, "field_code": other, "field_kind": kept,
            "field_industry": other, "field_level": kept, "field_uscc": other,
            "field_notes": other}

    unconfirmed = client.post("/customers/merge", data=form)
    assert unconfirmed.status_code == 400
    assert "Tick the box" in unconfirmed.get_data(as_text=True)
    done = client.post("/customers/merge", data={**form, "confirm": "y"})
    assert done.status_code == 302

    with app_session(customers_app) as session:
        survivor = session.get(Customer, other)
        assert (survivor.name, survivor.level, survivor.code) == ("ACME", "A", "ACME-OLD")
        assert survivor.deleted_at is None and session.get(Customer, kept).deleted_at
    assert listener.calls == [(other, [kept])]
    assert "1 customer was merged into ACME-OLD" in client.get("/customers/duplicates").get_data(
        as_text=True)


def test_the_merge_page_answers_404_out_of_scope_and_403_without_permission(customers_app):
    with app_session(customers_app) as session:
        team_a = create_department(session, "Team A").id
        team_b = create_department(session, "Team B").id
        session.commit()
        mia = add_user(customers_app, session, "mia", ["manager"], team_a)
        sally = add_user(customers_app, session, "sally", ["sales"], team_a)
        bob = add_user(customers_app, session, "bob", ["sales"], team_b)
        mine = services.create_customer(session, name="ACME", owner_id=sally).id
        theirs = services.create_customer(session, name="ACME", owner_id=bob).id
    manager = client_for(customers_app, mia)
    assert manager.get(f"/customers/merge?ids={mine}&ids={theirs}").status_code == 404
    assert manager.get(f"/customers/merge?ids={mine}").status_code == 400
    sales = client_for(customers_app, sally)
    assert sales.get(f"/customers/merge?ids={mine}&ids={theirs}").status_code == 403
    assert sales.post("/customers/merge", data={"ids": [mine, theirs], "target": mine,
                                                "confirm": "y"}).status_code in (400, 403)
    with app_session(customers_app) as session:
        assert session.get(Customer, theirs).deleted_at is None


def test_merge_on_postgresql(crm_make_app, postgres_url):
    app = crm_make_app(plugins=["customers"], database="postgresql")
    heard = MergeListener()
    app.extensions["crm"].pm.register(heard, name="merge-listener")
    with app.test_request_context():
        session = get_session()
        kept, other, vip, hot = two_acmes(session)
        merge_customers(session, kept.id, [other.id], {"code": other.id})
        session.commit()
        session.expire_all()
        kept = session.get(Customer, kept.id)
        assert kept.code == "ACME-OLD" and kept.total_amount == 10100
        assert kept.last_contact_at == MAR
        assert session.scalar(select(func.count()).where(
            ContactRecord.customer_id == kept.id)) == 2
        assert session.get(Customer, other.id).deleted_at is not None
        assert heard.calls == [(kept.id, [other.id])]

        assert_a_failure_half_way_leaves_nothing(session, kept.id)


def assert_a_failure_half_way_leaves_nothing(session, kept_id):
    """A merge that fails after it has freed the chosen code (a stored phone the checks now
    refuse) leaves no trace: not even a caller that commits afterwards keeps any of it."""
    other = services.create_customer(session, name="ACME 2", code="C-2")
    session.add(CustomerPhone(customer_id=other.id, number="+86123", position=1))
    session.commit()
    session.expire_all()
    with pytest.raises(DomainError, match="123"):
        merge_customers(session, kept_id, [other.id], {"code": other.id})
    session.commit()
    session.expire_all()
    assert session.get(Customer, other.id).code == "C-2"
    assert session.get(Customer, other.id).deleted_at is None
    assert session.get(Customer, kept_id).code != "C-2"


def test_a_merge_failing_half_way_changes_nothing(session, listener):
    kept, _other, _vip, _hot = two_acmes(session)
    assert_a_failure_half_way_leaves_nothing(session, kept.id)
    assert listener.calls == []
