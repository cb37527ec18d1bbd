"""Customers are created, changed, put in the trash and brought back through the services;
what users type is stored normalised, codes are generated, tags, contacts and contact records
hang on the customer, and every write lands in the operation log."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy import update as sa_update

from crm_core.audit.models import AuditEntry
from crm_core.errors import DomainError
from crm_core.testing import create_test_user
from plugins.customers import services
from plugins.customers.models import Contact, ContactRecord, Customer, CustomerTag
from plugins.customers.validation import FieldError, uscc_check_char

USCC = "91110108MA01C3XK5" + uscc_check_char("91110108MA01C3XK5")


def test_a_new_customer_gets_a_code_and_normalised_phones_and_emails(session):
    customer = services.create_customer(
        session, name="  北京远景   科技有限公司 ",
        phones="13812345678, +86 138-1234-5678；010-12345678",
        emails=["Sales@Example.COM", "sales@example.com"], uscc=USCC.lower(), province="北京")
    session.commit()
    assert customer.name == "北京远景 科技有限公司"
    assert customer.code == f"C{customer.id:06d}"
    assert customer.phones == ["+8613812345678", "+861012345678"]
    assert customer.emails == ["sales@example.com"]
    assert customer.uscc == USCC
    assert customer.country == "CN" and customer.kind == "company"
    assert customer.total_amount == 0 and customer.status == "active"


def test_a_typed_code_is_kept_and_a_taken_code_or_uscc_is_refused(session):
    first = services.create_customer(session, name="ACME", code="vip-001", uscc=USCC)
    assert first.code == "VIP-001"
    with pytest.raises(FieldError, match="VIP-001 is already used") as taken:
        services.create_customer(session, name="Globex", code="VIP-001")
    assert taken.value.field == "code"
    with pytest.raises(FieldError, match="already has the unified social credit code"):
        services.create_customer(session, name="Globex", uscc=USCC)
    # A generated code steps aside when someone typed it already.
    services.create_customer(session, name="Initech", code=f"C{first.id + 1:06d}")
    after = services.create_customer(session, name="Umbrella")
    assert after.code == f"C{after.id:06d}"


@pytest.mark.parametrize(("fields", "field", "says"), [
    ({"name": "  "}, "name", "needs a name"),
    ({"name": "x", "kind": "robot"}, "kind", "company or a person"),
    ({"name": "x", "phones": ["12345"]}, "phones", "not a Chinese mobile"),
    ({"name": "x", "emails": "nobody"}, "emails", "not an email address"),
    ({"name": "x", "uscc": "91350100M000100Y44"}, "uscc", "does not match"),
    ({"name": "x", "country": "China"}, "country", "two-letter code"),
    ({"name": "x", "customer_type_id": 999}, "customer_type_id", "no such customer type"),
    ({"name": "x", "owner_id": 999}, "owner_id", "no such user"),
    ({"name": "x", "department_id": 999}, "department_id", "owner.s department"),
])
def test_bad_input_is_refused_naming_the_field(session, fields, field, says):
    with pytest.raises(FieldError, match=says) as refused:
        services.create_customer(session, **fields)
    assert refused.value.field == field
    assert session.scalar(select(Customer.id)) is None


def test_update_reports_only_the_fields_that_really_changed(session):
    customer = services.create_customer(session, name="ACME", phones=["13812345678"],
                                        industry="制造")
    changed = services.update_customer(session, customer.id, {
        "name": "ACME", "industry": "制造", "phones": ["+86 138 1234 5678"]})
    assert changed == []
    changed = services.update_customer(session, customer.id, {
        "name": "ACME 中国", "phones": ["13812345678", "+1 650 253 0000"], "level": "A"})
    assert changed == ["name", "phones", "level"]
    session.commit()
    session.expire_all()
    again = session.get(Customer, customer.id)
    assert again.phones == ["+8613812345678", "+16502530000"]
    assert again.level == "A"


def test_a_change_of_phones_or_emails_alone_marks_the_customer_changed(session):
    customer = services.create_customer(session, name="ACME", phones=["13812345678"])
    session.commit()
    before = customer.updated_at
    session.execute(sa_update(Customer).where(Customer.id == customer.id)
                    .values(updated_at=before - dt.timedelta(days=1)))
    session.commit()
    assert services.update_customer(session, customer.id, {"emails": ["a@example.com"]}) \
        == ["emails"]
    session.commit()
    session.expire_all()
    after = session.get(Customer, customer.id).updated_at
    assert after.replace(tzinfo=None) > before.replace(tzinfo=None) - dt.timedelta(hours=1)


def test_trash_hides_a_customer_and_restore_brings_it_back(customers_app, session):
    boss = create_test_user(customers_app, "boss", superuser=True)
    customer = services.create_customer(session, name="ACME")
    assert services.list_customers(session, user=boss.id).items == [customer]
    services.delete_customer(session, customer.id, user=boss.id)
    session.commit()
    with pytest.raises(services.CustomerNotFound):
        services.get_customer(session, customer.id, user=boss.id)
    assert services.list_customers(session, user=boss.id).items == []
    assert services.list_customers(session, user=boss.id,
                                   filters={"trash": True}).items == [customer]
    assert session.get(Customer, customer.id).deleted_at is not None  # nothing is lost
    with pytest.raises(services.CustomerNotFound):
        services.delete_customer(session, customer.id)

    services.restore_customer(session, customer.id, user=boss.id)
    session.commit()
    assert services.get_customer(session, customer.id, user=boss.id) == customer
    assert services.list_customers(session, user=boss.id).items == [customer]
    with pytest.raises(DomainError, match="not in the trash"):
        services.restore_customer(session, customer.id)


def test_tags_contacts_and_contact_records_hang_on_the_customer(session):
    customer = services.create_customer(session, name="ACME")
    vip = services.create_tag(session, "VIP", "#DC3545")
    assert vip.colour == "#dc3545"
    with pytest.raises(FieldError, match="already exists"):
        services.create_tag(session, "VIP")
    with pytest.raises(FieldError, match="#rrggbb"):
        services.create_tag(session, "Hot", "red")
    assert services.add_tag(session, customer.id, vip.id) is True
    assert services.add_tag(session, customer.id, vip.id) is False
    assert session.scalars(select(CustomerTag.tag_id)).all() == [vip.id]

    li = services.add_contact(session, customer.id, "李雷", title="采购经理",
                              phones="13912345678", email="Li.Lei@Example.com",
                              is_primary=True)
    han = services.add_contact(session, customer.id, "韩梅梅", is_primary=True)
    assert li.phones == ["+8613912345678"] and li.email == "li.lei@example.com"
    assert [c.name for c in session.scalars(select(Contact).where(
        Contact.is_primary.is_(True)))] == ["韩梅梅"]

    visit = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)
    services.add_contact_record(session, customer.id, kind="visit", content="带去样品",
                                occurred_at=visit, contact_id=li.id, user_id=None,
                                next_follow_up=dt.date(2026, 12, 1))
    session.commit()
    session.expire_all()
    assert session.get(Customer, customer.id).last_contact_at.replace(tzinfo=dt.UTC) == visit

    earlier = visit - dt.timedelta(days=3)
    services.add_contact_record(session, customer.id, kind="call", occurred_at=earlier)
    session.commit()
    session.expire_all()
    assert session.get(Customer, customer.id).last_contact_at.replace(tzinfo=dt.UTC) == visit
    assert session.query(ContactRecord).count() == 2

    with pytest.raises(FieldError, match="call, visit, email, meeting or other"):
        services.add_contact_record(session, customer.id, kind="fax")
    other = services.create_customer(session, name="Globex")
    with pytest.raises(FieldError, match="does not belong"):
        services.add_contact_record(session, other.id, kind="call", contact_id=han.id)
    assert services.remove_tag(session, customer.id, vip.id) is True
    assert services.remove_tag(session, customer.id, vip.id) is False


def test_every_customer_write_is_in_the_operation_log(session):
    customer = services.create_customer(session, name="ACME", phones=["13812345678"])
    services.update_customer(session, customer.id, {"name": "ACME 中国"})
    services.delete_customer(session, customer.id)
    session.commit()
    entries = session.execute(select(AuditEntry.action, AuditEntry.model).where(
        AuditEntry.model.like("customers_%")).order_by(AuditEntry.id)).all()
    assert ("insert", "customers_customer") in entries
    assert ("insert", "customers_customer_phone") in entries
    assert entries.count(("update", "customers_customer")) >= 2  # the code, the name, trash
