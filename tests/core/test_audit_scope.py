"""The operation log follows the data scope: a manager of East reads nothing of West's
customers (names, e-mails, contact-record text) by any filter or record page, while the
whole log takes ``core.audit.view_all``."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from crm_core.audit.context import acting_as
from crm_core.audit.models import AuditEntry
from crm_core.audit.scoping import audited_models, rules_for
from crm_core.auth.models import User
from crm_core.rbac.departments import create_department
from crm_core.rbac.users import create_account
from crm_core.testing import invoke_cli, login

PASSWORD = "Kettle-Drum-42x"
WEST_SECRETS = ("西部机密公司", "secret@west.example", "West price list talk", "Moving Co",
                "moved@east.example", "Plan after the move")
EAST_TEXT = ("东部公司", "boss@east.example", "East visit about the renewal")


@dataclass
class Org:
    app: object
    users: dict[str, User] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)

    def client(self, name: str):
        return login(self.app.test_client(), self.users[name])

    def page(self, name: str, url: str, status: int = 200) -> str:
        response = self.client(name).get(url)
        assert response.status_code == status, (url, response.status_code)
        return response.get_data(as_text=True)


def build(app) -> Org:
    """East and West, a manager of East, a sales rep in each, and customers with contacts
    and contact records written by their owners; one East customer moved to West later."""
    from plugins.customers import services
    from plugins.customers.models import Customer

    org = Org(app)
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        east = create_department(session, "East")
        west = create_department(session, "West")
        for name, roles, department, superuser in [
                ("erin", ["manager"], east, False), ("sam", ["sales"], east, False),
                ("wes", ["sales"], west, False), ("root", [], None, True)]:
            org.users[name] = create_account(
                session, name, PASSWORD, roles=roles, superuser=superuser,
                department_id=department.id if department else None)
        session.commit()
        sam, wes, root = org.users["sam"], org.users["wes"], org.users["root"]

        with acting_as(wes.id, "wes"):
            west_customer = services.create_customer(
                session, name="西部机密公司", industry="军工", owner_id=wes.id,
                emails=["info@west.example"])
            contact = services.add_contact(session, west_customer.id, "W. Contact",
                                           email="secret@west.example")
            record = services.add_contact_record(session, west_customer.id, kind="call",
                                                 content="West price list talk",
                                                 user_id=wes.id)
            session.commit()
        org.ids.update(west=west_customer.id, west_contact=contact.id, west_record=record.id)

        with acting_as(sam.id, "sam"):
            east_customer = services.create_customer(session, name="东部公司", owner_id=sam.id)
            services.add_contact(session, east_customer.id, "E. Boss",
                                 email="boss@east.example")
            east_record = services.add_contact_record(
                session, east_customer.id, kind="visit", content="East visit about the renewal",
                user_id=sam.id)
            moving = services.create_customer(session, name="Moving Co", owner_id=sam.id,
                                              emails=["moved@east.example"])
            session.commit()
        org.ids.update(east=east_customer.id, east_record=east_record.id, moving=moving.id)

        with acting_as(root.id, "root"):
            # an administrator's change to an East customer is East's history too
            session.get(Customer, east_customer.id).industry = "Logistics"
            moved = session.get(Customer, moving.id)
            moved.owner_id, moved.department_id = wes.id, west.id
            session.commit()
        with acting_as(wes.id, "wes"):
            moved_record = services.add_contact_record(session, moving.id, kind="call",
                                                       content="Plan after the move",
                                                       user_id=wes.id)
            session.commit()
        org.ids["moved_record"] = moved_record.id
        session.close()
    return org


def assert_no_west(html: str) -> None:
    for secret in WEST_SECRETS:
        assert secret not in html, secret


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgresql",
                                                             marks=pytest.mark.postgres)])
def test_an_east_manager_reads_nothing_of_west_by_any_filter(crm_make_app, database):
    org = build(crm_make_app(plugins=["customers"], database=database))
    urls = ["/audit", "/audit?user=wes", "/audit?user=sam", "/audit?user=root",
            "/audit?model=customers_customer", "/audit?model=customers_contact",
            "/audit?model=customers_contact_record", "/audit?model=customers_customer_email",
            f"/audit?model=customers_customer&record_id={org.ids['west']}",
            f"/audit?model=customers_customer&record_id={org.ids['moving']}"]
    for url in urls:
        assert_no_west(org.page("erin", url))
    everything = org.page("erin", "/audit")
    for text in EAST_TEXT:
        assert text in everything, text
    assert "Logistics" in everything  # the administrator's change to an East customer
    assert "East visit about the renewal" in org.page(
        "erin", "/audit?model=customers_contact_record")

    # the whole log is for core.audit.view_all: an administrator reads West too
    admin_view = org.page("root", "/audit?user=wes")
    assert "西部机密公司" in admin_view and "West price list talk" in admin_view


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgresql",
                                                             marks=pytest.mark.postgres)])
def test_record_pages_outside_the_scope_answer_404(crm_make_app, database):
    org = build(crm_make_app(plugins=["customers"], database=database))
    ids = org.ids
    for url in [f"/audit/record/customers_customer/{ids['west']}",
                f"/audit/record/customers_customer/{ids['moving']}",
                f"/audit/record/customers_contact/{ids['west_contact']}",
                f"/audit/record/customers_contact_record/{ids['west_record']}",
                f"/audit/record/customers_contact_record/{ids['moved_record']}",
                "/audit/record/customers_customer/999999",
                "/audit/record/customers_customer/not-a-number"]:
        assert_no_west(org.page("erin", url, status=404))
    east = org.page("erin", f"/audit/record/customers_customer/{ids['east']}")
    assert "东部公司" in east and "Logistics" in east
    assert "East visit about the renewal" in org.page(
        "erin", f"/audit/record/customers_contact_record/{ids['east_record']}")
    # the West rep reads their own customer's history; the administrator reads any
    assert "西部机密公司" in org.page("root", f"/audit/record/customers_customer/{ids['west']}")


def test_the_whole_log_is_a_permission_of_the_administrator_only(crm_make_app):
    from crm_core.rbac.models import Permission, Role, RolePermission

    app = crm_make_app(plugins=["customers"])
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        holders = set(session.scalars(
            select(Role.name).join(RolePermission, RolePermission.role_id == Role.id)
            .join(Permission, Permission.id == RolePermission.permission_id)
            .where(Permission.name == "core.audit.view_all")))
        label = session.scalar(select(Permission.label)
                               .where(Permission.name == "core.audit.view_all"))
        session.close()
    assert holders == {"admin"}
    assert label == "View the whole operation log"


def test_entries_of_child_rows_follow_their_customer_and_masks_stay(crm_make_app):
    org = build(crm_make_app(plugins=["customers"]))
    with org.app.app_context():
        session = org.app.extensions["crm_db"].new_session()
        scopes = session.execute(
            select(AuditEntry.model, AuditEntry.scope_model, AuditEntry.scope_id)
            .where(AuditEntry.model == "customers_contact_record")).all()
        users = session.scalars(select(AuditEntry.changes)
                                .where(AuditEntry.model == "core_user")).all()
        session.close()
    assert sorted(scopes) == sorted([
        ("customers_contact_record", "customers_customer", org.ids["west"]),
        ("customers_contact_record", "customers_customer", org.ids["east"]),
        ("customers_contact_record", "customers_customer", org.ids["moving"])])
    hashed = [changes for changes in users if "password_hash" in changes]
    assert hashed and all('"password_hash":{"new":"***"}' in changes for changes in hashed)
    assert "argon2" not in org.page("root", "/audit?model=core_user")


def test_entries_written_before_the_scope_columns_are_backfilled(crm_make_app):
    org = build(crm_make_app(plugins=["customers"]))
    app = org.app
    with app.app_context():
        engine = app.extensions["crm_db"].engine
        with engine.begin() as connection:
            connection.execute(AuditEntry.__table__.update().values(scope_model=None,
                                                                    scope_id=None))
        assert_no_west(org.page("erin", "/audit?model=customers_contact_record"))  # hidden
        models = audited_models(app.extensions["crm"])
        assert set(rules_for(models)) >= {"customers_customer", "customers_contact_record"}
        result = invoke_cli(app, "audit", "backfill-scope")
        assert result.exit_code == 0 and "were given their data scope" in result.output
        session = app.extensions["crm_db"].new_session()
        record_scope = session.scalar(
            select(AuditEntry.scope_id).where(AuditEntry.model == "customers_contact_record",
                                              AuditEntry.record_id == str(org.ids["west_record"])))
        session.close()
    assert record_scope == org.ids["west"]
    page = org.page("erin", "/audit?model=customers_contact_record")
    assert_no_west(page)
    assert "East visit about the renewal" in page


def test_a_page_looks_through_a_bounded_window_and_older_searches_on(crm_make_app,
                                                                     monkeypatch):
    import re

    from crm_core.audit import service

    org = build(crm_make_app(plugins=["customers"]))
    monkeypatch.setattr(service, "SCAN_SPAN", 4)  # a page looks at 4 entry ids at most
    client = org.client("erin")
    url, seen, pages = "/audit", "", 0
    while url and pages < 200:
        html = client.get(url).get_data(as_text=True)
        seen += html
        pages += 1
        older = re.search(r'href="(/audit\?before=\d+)" rel="next"', html)
        url = older.group(1).replace("&amp;", "&") if older else None
    assert url is None and pages > 3
    assert "Searched entries" in seen
    for text in EAST_TEXT:
        assert text in seen, text
    assert_no_west(seen)
    # and back: Newer from the oldest page searches up again
    newer = re.findall(r'href="(/audit\?after=\d+)" rel="prev"', html)
    assert newer and client.get(newer[0]).status_code == 200


def test_events_follow_their_record_or_whoever_made_them(crm_make_app):
    from crm_core.audit.service import record_event

    org = build(crm_make_app(plugins=["customers"]))
    with org.app.app_context():
        session = org.app.extensions["crm_db"].new_session()
        record_event("export", "Exported 3 customers (by sam)", model="customers_customer",
                     user=org.users["sam"], session=session)
        record_event("export", "Exported 9 customers (by wes)", model="customers_customer",
                     user=org.users["wes"], session=session)
        record_event("merge", "Merged W1 into W2 (West)", model="customers_customer",
                     record_id=org.ids["west"], user=org.users["root"], session=session)
        record_event("merge", "Merged E1 into E2 (East)", model="customers_customer",
                     record_id=org.ids["east"], user=org.users["root"], session=session)
        session.commit()
        session.close()
    page = org.page("erin", "/audit?action=export") + org.page("erin", "/audit?action=merge")
    assert "Exported 3 customers (by sam)" in page and "Merged E1 into E2 (East)" in page
    assert "(by wes)" not in page and "(West)" not in page
