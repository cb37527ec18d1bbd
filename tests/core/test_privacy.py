"""``crm privacy``: a person found by e-mail and/or phone in any form; the export gathers what
each plugin holds; the erasure leaves no trace of the e-mail or phone in the customers'
tables, is logged exactly once, keeps the operation log's chain intact, suppresses the
person, and rolls everything back when one plugin fails."""

from __future__ import annotations

import json
import zipfile

import pytest
from sqlalchemy import func, select, text

from crm_core.audit.chain import verify
from crm_core.audit.models import AuditEntry
from crm_core.privacy.identity import Person, PersonError, normalise_email, normalise_phone
from crm_core.privacy.models import PrivacyErasure, PrivacySuppression
from crm_core.privacy.suppression import is_suppressed
from crm_core.testing import DATABASES, invoke_cli

EMAIL, PHONE = "zhang.san@example.com", "+8613812345678"


def _said(result) -> str:
    return result.output + (str(result.exception) if result.exception else "")


def _dump(app) -> str:
    """Every row of every table but the operation log, as one text."""
    from sqlalchemy import inspect

    engine = app.extensions["crm_db"].engine
    parts = []
    with engine.connect() as connection:
        for name in inspect(engine).get_table_names():
            if name in ("core_audit_log", "alembic_version") or name.startswith(
                    "customers_search"):
                continue
            quoted = engine.dialect.identifier_preparer.quote(name)
            rows = connection.execute(text(f"SELECT * FROM {quoted}"))
            parts += [repr(tuple(row)) for row in rows]
    return "\n".join(parts)


def _world(app):
    from plugins.customers import services

    with app.app_context():
        from crm_core.db import get_session

        session = get_session()
        person = services.create_customer(session, name="张三", kind="person",
                                          emails=[" Zhang.San@Example.com "],
                                          phones=["138 1234 5678"], address="北京市朝阳区1号",
                                          notes="VIP")
        company = services.create_customer(session, name="华宇科技", kind="company",
                                           emails=["info@huayu.cn", EMAIL])
        other = services.create_customer(session, name="李四", kind="person",
                                         emails=["li.si@example.com"], phones=["13900001111"])
        contact = services.add_contact(session, company.id, "张三", title="采购经理",
                                       phones=["13812345678"], email="ZHANG.SAN@example.com")
        services.add_contact_record(session, company.id, kind="call", contact_id=contact.id,
                                    content="张三说下周再联系，邮箱 zhang.san@example.com")
        services.add_contact_record(session, person.id, kind="visit", content="上门拜访")
        services.add_contact_record(session, other.id, kind="call",
                                    content="李四介绍了 0086 13812345678 这个号码")
        from crm_core.outbox import send_mail

        send_mail(EMAIL, "您的报价", "张三您好")
        send_mail("li.si@example.com", "您的报价", "李四您好")
        session.commit()
        return person.id, company.id, other.id, contact.id


def test_a_person_is_read_from_the_forms_people_type():
    assert normalise_email("  Zhang.San@EXAMPLE.com ") == EMAIL
    for typed in ("13812345678", "+86 138 1234 5678", "0086-138-1234-5678",
                  "１３８１２３４５６７８"):
        assert normalise_phone(typed) == PHONE
    assert normalise_phone("010-12345678") == "+861012345678"
    assert normalise_phone("+1 650 253 0000") == "+16502530000"
    person = Person.from_request(phone="138 1234 5678")
    assert person.matches_phone("+8613812345678;ext=12") and person.matches_phone("13812345678")
    assert person.scrub("call 0086 13812345678 or 13812345678") == \
        "call 0086 13812345678 or [erased]".replace("0086 13812345678", "0086 [erased]")
    with pytest.raises(PersonError, match="not an e-mail"):
        Person.from_request(email="zhang at example")
    with pytest.raises(PersonError, match="not a phone"):
        Person.from_request(phone="12345")
    with pytest.raises(PersonError, match="--email"):
        Person.from_request()


@pytest.mark.crm_plugins("customers")
def test_the_cli_refuses_a_request_it_cannot_read(crm_app):
    for args, said in ((("privacy", "export"), "Give the person's e-mail"),
                       (("privacy", "erase", "--email", "nobody", "--yes"), "not an e-mail"),
                       (("privacy", "export", "--phone", "12"), "not a phone")):
        result = invoke_cli(crm_app, *args)
        assert result.exit_code != 0
        assert said in _said(result)


@pytest.mark.parametrize("database", DATABASES)
def test_export_then_erase_a_person_everywhere_in_customers(crm_make_app, database, tmp_path):
    app = crm_make_app(plugins=["customers"], database=database)
    person_id, company_id, other_id, contact_id = _world(app)

    target = tmp_path / "out.json"
    result = invoke_cli(app, "privacy", "export", "--email", "ZHANG.san@example.com ",
                        "--to", str(target))
    assert result.exit_code == 0, _said(result)
    found = json.loads(target.read_text(encoding="utf-8"))["plugins"]["customers"]
    assert [c["id"] for c in found["customers"]] == [person_id]
    assert found["customers"][0]["address"] == "北京市朝阳区1号"
    assert [c["id"] for c in found["companies"]] == [company_id]
    assert [c["id"] for c in found["contacts"]] == [contact_id]
    # the person's own visit, the contact's call, and a note naming the phone
    # the person's visit, the contact's call, and (the person customer's phone being the
    # person's too) another customer's note naming that phone
    assert len(found["contact_records"]) == 3
    outbox = json.loads(target.read_text(encoding="utf-8"))["plugins"]["core"]
    assert [m["subject"] for m in outbox["outbox_messages"]] == ["您的报价"]
    zipped = tmp_path / "out.zip"
    assert invoke_cli(app, "privacy", "export", "--phone", "13812345678", "--to",
                      str(zipped)).exit_code == 0
    with zipfile.ZipFile(zipped) as archive:
        assert {"person.json", "customers.json"} <= set(archive.namelist())
        records = json.loads(archive.read("customers.json"))["contact_records"]
        assert len(records) == 3  # by phone the other customer's note is found too

    with app.app_context():
        from crm_core.db import get_session

        entries_before = get_session().scalar(select(func.count(AuditEntry.id)))
    result = invoke_cli(app, "privacy", "erase", "--email", EMAIL, "--phone", "13812345678",
                        "--yes")
    assert result.exit_code == 0, _said(result)
    assert "Erasure 1" in result.output

    dump = _dump(app).lower()
    for trace in (EMAIL, "13812345678", "北京市朝阳区", "张三", "采购经理"):
        assert trace.lower() not in dump
    # a company's call with the contact keeps what was said, without the contact's name
    assert "[erased]说下周再联系" in dump
    assert "li.si@example.com" in dump and "info@huayu.cn" in dump  # others untouched
    with app.app_context():
        from crm_core.db import get_session

        session = get_session()
        entries = list(session.scalars(select(AuditEntry).where(AuditEntry.id > entries_before)))
        assert [e.action for e in entries] == ["privacy_erase"]
        assert EMAIL not in entries[0].changes and "13812345678" not in entries[0].changes
        with app.extensions["crm_db"].engine.connect() as connection:
            assert verify(connection).ok
        assert session.scalar(select(func.count(PrivacySuppression.hash))) == 2
        assert is_suppressed(session, email=" ZHANG.SAN@example.com")
        assert is_suppressed(session, phone="0086 138-1234-5678")
        assert not is_suppressed(session, email="li.si@example.com")
        from crm_core.outbox.models import OutboxMessage

        mails = {m.payload["text"]: (m.status, m.payload["to"])
                 for m in session.scalars(select(OutboxMessage))}
        # the mail to them is never sent, and no longer names them
        assert mails == {"[erased]您好": ("dead", ["[erased]"]),
                         "李四您好": ("pending", ["li.si@example.com"])}
        register = session.get(PrivacyErasure, 1)
        assert register.counts["customers"]["customers"] == 1
        assert register.counts["customers"]["contacts"] == 1
        # the search no longer finds them by phone
        from plugins.customers.search.services import search_customers

        hits = search_customers(session, "13812345678", user=None)
        assert all(getattr(hit, "id", None) != person_id for hit in hits)
    again = invoke_cli(app, "privacy", "export", "--email", EMAIL)
    assert again.exit_code == 0
    assert json.loads(again.output)["plugins"] == {}


@pytest.mark.crm_plugins("customers")
def test_a_failing_plugin_leaves_nothing_half_erased(crm_app, monkeypatch):
    person_id, *_ = _world(crm_app)
    from plugins.customers import privacy as customers_privacy

    real = customers_privacy.erase

    def broken(person, erasure, session):
        real(person, erasure, session)
        raise RuntimeError("disk full")

    monkeypatch.setattr(customers_privacy, "erase", broken)
    result = invoke_cli(crm_app, "privacy", "erase", "--email", EMAIL, "--yes")
    assert result.exit_code != 0
    assert "customers" in _said(result) and "nothing was erased" in _said(result)
    assert EMAIL in _dump(crm_app).lower()
    with crm_app.app_context():
        from crm_core.db import get_session

        session = get_session()
        assert session.scalar(select(func.count(PrivacyErasure.id))) == 0
        assert session.scalar(select(func.count(AuditEntry.id))
                              .where(AuditEntry.action == "privacy_erase")) == 0


@pytest.mark.crm_plugins("customers")
def test_erase_asks_before_it_erases(crm_app):
    _world(crm_app)
    from click.testing import CliRunner
    from flask.cli import ScriptInfo

    from crm_core.cli import cli

    result = CliRunner().invoke(cli, ["privacy", "erase", "--email", EMAIL], input="n\n",
                                obj=ScriptInfo(create_app=lambda: crm_app))
    assert "About to erase" in result.output and "customers" in result.output
    assert result.exit_code != 0
    assert EMAIL in _dump(crm_app).lower()



@pytest.mark.crm_plugins("customers")
def test_the_values_an_update_import_keeps_for_its_undo_lose_the_person_too(crm_app):
    from crm_core.db import get_session
    from crm_core.imports.models import ImportRecord, TabularImport

    with crm_app.app_context():
        session = get_session()
        done = TabularImport(spec="customers.customer", filename="update.csv", mode="update")
        session.add(done)
        session.flush()
        session.add_all([
            ImportRecord(import_id=done.id, record_id="7", created=False,
                         old={"emails": ["zhou.ba@example.com"], "phones": ["+8613966667777"]},
                         new={"emails": ["zhou.ba@newmail.cn"], "phones": []}),
            ImportRecord(import_id=done.id, record_id="8", created=False,
                         old={"emails": ["wu.jiu@example.com"]}, new={"emails": []})])
        session.commit()
    result = invoke_cli(crm_app, "privacy", "erase", "--email", "zhou.ba@example.com",
                        "--phone", "13966667777", "--yes")
    assert result.exit_code == 0, _said(result)
    dump = _dump(crm_app)
    assert "zhou.ba@example.com" not in dump and "13966667777" not in dump
    assert "wu.jiu@example.com" in dump
    with crm_app.app_context():
        kept = {row.record_id: row.old for row in get_session().scalars(select(ImportRecord))}
    assert kept["7"] == {"emails": ["[erased]"], "phones": ["[erased]"]}


@pytest.mark.crm_plugins("customers")
def test_erasing_by_phone_also_takes_the_person_customers_e_mail(crm_app):
    _world(crm_app)
    result = invoke_cli(crm_app, "privacy", "erase", "--phone", "138-1234-5678", "--yes")
    assert result.exit_code == 0, _said(result)
    assert EMAIL not in _dump(crm_app).lower()
    with crm_app.app_context():
        from crm_core.db import get_session

        session = get_session()
        assert is_suppressed(session, email=EMAIL) and is_suppressed(session, phone=PHONE)
        assert not is_suppressed(session, email="info@huayu.cn")  # the company's own
