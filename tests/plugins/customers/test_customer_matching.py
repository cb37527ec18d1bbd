"""``match_or_create_customer``: a person who writes in again through a public form or
another inbound channel is recognised by the phone or e-mail address of a customer or of a
contact, however the number is typed; a new one becomes a person or a company with its
contact; nothing is created twice; the trash is not matched; the operation log names the
channel. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from crm_core.db import get_session
from plugins.customers import services
from plugins.customers.models import Contact, Customer

DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="module", params=DATABASES)
def app(request, tmp_path_factory):
    from crm_core.app import create_app
    from crm_core.migrate import upgrade
    from crm_core.testing import FreshDatabases, test_config

    databases = FreshDatabases(tmp_path_factory.mktemp("matching-db"))
    instance = tmp_path_factory.mktemp("instance")
    app = create_app(test_config(instance, databases.new(request.param), ["customers"]))
    with app.app_context():
        upgrade(app)
    yield app
    app.extensions["crm_db"].engine.dispose()
    databases.drop_all()


@pytest.fixture
def session(app):
    with app.test_request_context():
        session = get_session()
        yield session
        session.rollback()


def _count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_a_person_is_created_once_and_found_again_however_the_number_is_typed(session):
    first = services.match_or_create_customer(session, name="王晓燕", phone="13912340001",
                                              source="网站表单", reason="test form")
    assert first.created_customer and first.contact is None
    assert first.customer.kind == "person" and first.customer.phones == ["+8613912340001"]
    session.flush()
    customers = _count(session, Customer)
    again = services.match_or_create_customer(session, name="王晓燕",
                                              phone="+86 139-1234-0001")
    assert again.customer.id == first.customer.id and not again.created_customer
    by_mail = services.match_or_create_customer(session, name="王晓燕",
                                                phone="13912340001", email="")
    assert by_mail.customer.id == first.customer.id
    assert _count(session, Customer) == customers


def test_a_company_gets_its_contact_and_the_contact_is_recognised_by_email(session):
    made = services.match_or_create_customer(session, name="李建国",
                                             email="Li.JianGuo@YunFan.example",
                                             company="杭州云帆科技有限公司")
    assert made.created_customer and made.created_contact
    assert made.customer.kind == "company" and made.customer.name == "杭州云帆科技有限公司"
    assert made.contact.name == "李建国" and made.contact.is_primary
    assert made.contact.email == "li.jianguo@yunfan.example"
    again = services.match_or_create_customer(session, name="李建国",
                                              email="li.jianguo@yunfan.example")
    assert (again.customer.id, again.contact.id) == (made.customer.id, made.contact.id)
    assert not again.created_customer and not again.created_contact


def test_a_contacts_number_finds_the_company_not_a_new_person(session):
    company = services.create_customer(session, name="深圳白云电器有限公司",
                                       phones=["0755-88881234"])
    contact = services.add_contact(session, company.id, "赵敏", phones="13700002222")
    found = services.match_or_create_customer(session, name="赵敏", phone="137 0000 2222")
    assert (found.customer.id, found.contact.id) == (company.id, contact.id)
    # someone new calling from the company's own number becomes its contact, once
    newcomer = services.match_or_create_customer(session, name="钱多多",
                                                 phone="0755 8888 1234")
    assert newcomer.customer.id == company.id and newcomer.created_contact
    contacts = _count(session, Contact)
    repeat = services.match_or_create_customer(session, name="钱多多",
                                               phone="075588881234")
    assert repeat.customer.id == company.id and not repeat.created_contact
    assert _count(session, Contact) == contacts


def test_a_customer_in_the_trash_is_not_matched(session):
    gone = services.create_customer(session, name="孙丽", kind="person",
                                    phones=["13800003333"])
    services.delete_customer(session, gone.id)
    session.flush()
    fresh = services.match_or_create_customer(session, name="孙丽", phone="13800003333")
    assert fresh.created_customer and fresh.customer.id != gone.id


def test_missing_or_bad_contact_details_are_field_errors(session):
    from crm_core.toolkit import DomainError

    with pytest.raises(DomainError) as missing:
        services.match_or_create_customer(session, name="周杰", phone=" ", email="")
    assert missing.value.field == "phone"
    with pytest.raises(DomainError) as bad:
        services.match_or_create_customer(session, name="周杰", phone="12")
    assert bad.value.field == "phone"
    with pytest.raises(DomainError) as nameless:
        services.match_or_create_customer(session, name="  ", phone="13800004444")
    assert nameless.value.field == "name"


def test_the_operation_log_names_the_channel(session):
    from crm_core.audit.models import AuditEntry

    made = services.match_or_create_customer(session, name="吴磊", phone="13800005555",
                                             reason="服务请求公开表单")
    session.flush()
    actors = session.scalars(select(AuditEntry.username).where(
        AuditEntry.record_id == str(made.customer.id),
        AuditEntry.model == Customer.__tablename__)).all()
    assert actors and set(actors) == {"system:服务请求公开表单"}


def test_two_submissions_at_once_make_one_customer(app):
    import threading
    import time

    barrier, made, errors = threading.Barrier(2), [], []

    def submit() -> None:
        try:
            with app.app_context():
                session = app.extensions["crm_db"].new_session()
                barrier.wait(timeout=10)
                match = services.match_or_create_customer(session, name="郑好",
                                                          phone="13800006666")
                time.sleep(0.3)  # the other submission arrives while this one is open
                session.commit()
                made.append(match.customer.id)
                session.close()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert len(made) == 2 and made[0] == made[1]
