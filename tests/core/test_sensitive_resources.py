"""Masks on the generated Resource pages, API, export and forms (the customers plugin's
contacts resource, whose phones and e-mail are declared sensitive and follow the customer's
permissions), the reveal route on one of its records, and the operation log's pages."""

from __future__ import annotations

import csv
import io
import re
from html import unescape

import pytest

from crm_core.db import get_session
from crm_core.rbac.departments import create_department
from crm_core.rbac.service import assign_roles
from crm_core.testing import create_test_user, login

PHONE, EMAIL = "13812345678", "wang@huayu.cn"


@pytest.fixture
def world(crm_make_app):
    from plugins.customers import services

    app = crm_make_app(plugins=["customers"])
    ids = {}
    with app.app_context():
        session = get_session()
        east = create_department(session, "East").id
        session.commit()
        for name, roles in (("sally", ["sales"]), ("mia", ["manager"]),
                            ("mark", ["marketing"])):
            session.commit()  # the user is made in another session: SQLite has one writer
            user = create_test_user(app, name)
            session.get(type(user), user.id).department_id = east
            assign_roles(session, user.id, roles)
            ids[name] = user.id
        session.commit()
        customer = services.create_customer(session, name="华宇科技", owner_id=ids["sally"],
                                            department_id=east)
        contact = services.add_contact(session, customer.id, "王经理", phones=[PHONE],
                                       email=EMAIL, is_primary=True)
        session.commit()
        ids.update(customer=customer.id, contact=contact.id)
    return app, ids


class _Id:
    def __init__(self, user_id):
        self.id = user_id


def client(app, user_id):
    return login(app.test_client(), _Id(user_id))


def csrf(html):
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_list_detail_and_api_mask_for_a_sales_rep_and_not_for_a_manager(world):
    app, ids = world
    sally, mia = client(app, ids["sally"]), client(app, ids["mia"])
    listed = unescape(sally.get("/customers/contacts").get_data(as_text=True))
    assert "138****5678" in listed and "w***@huayu.cn" in listed
    assert PHONE not in listed and EMAIL not in listed and "138 1234 5678" not in listed
    detail = sally.get(f"/customers/contacts/{ids['contact']}").get_data(as_text=True)
    assert "138****5678" in detail and EMAIL not in detail
    reveal = f"/sensitive/customers.contact/{ids['contact']}/phones/reveal"
    assert f'hx-post="{reveal}"' in detail  # the reveal button
    body = sally.get(f"/api/v1/customers/contacts/{ids['contact']}").get_json()
    assert body["phones"] == ["138****5678"] and body["email"] == "w***@huayu.cn"
    items = sally.get("/api/v1/customers/contacts").get_json()["items"]
    assert items[0]["phones"] == ["138****5678"]
    clear = mia.get(f"/api/v1/customers/contacts/{ids['contact']}").get_json()
    assert clear["phones"] == ["+8613812345678"] and clear["email"] == EMAIL
    assert "138 1234 5678" in mia.get("/customers/contacts").get_data(as_text=True)


def test_revealing_a_contacts_phone_answers_it_and_logs_who_and_what(world):
    app, ids = world
    sally = client(app, ids["sally"])
    page = sally.get(f"/customers/contacts/{ids['contact']}").get_data(as_text=True)
    reveal = f"/sensitive/customers.contact/{ids['contact']}/phones/reveal"
    answer = sally.post(reveal, data={"index": "0", "csrf_token": csrf(page)})
    assert answer.status_code == 200 and "138 1234 5678" in answer.get_data(as_text=True)
    history = client(app, ids["mia"]).get("/audit?action=reveal").get_data(as_text=True)
    assert "sally" in history
    from sqlalchemy import select

    from crm_core.audit.models import AuditEntry

    with app.app_context():
        entry = get_session().scalars(select(AuditEntry).where(
            AuditEntry.action == "reveal")).one()
        assert (entry.model, entry.record_id, entry.username) == \
            ("customers_contact", str(ids["contact"]), "sally")
        assert "phones" in entry.changes and "5678" not in entry.changes


def test_the_edit_form_shows_masks_and_keeps_the_stored_values(world):
    app, ids = world
    sally = client(app, ids["sally"])
    url = f"/customers/contacts/{ids['contact']}/edit"
    page = unescape(sally.get(url).get_data(as_text=True))
    assert "138****5678" in page and PHONE not in page and EMAIL not in page
    answer = sally.post(url, data={"csrf_token": csrf(page), "customer_id": ids["customer"],
                                   "name": "王总", "title": "CEO", "phones": "138****5678",
                                   "email": "w***@huayu.cn", "is_primary": "y"})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:3000]
    from plugins.customers.models import Contact

    with app.app_context():
        contact = get_session().get(Contact, ids["contact"])
        assert (contact.name, contact.phones, contact.email) == \
            ("王总", ["+8613812345678"], EMAIL)


def test_a_marketers_export_file_holds_masks(world, tmp_path):
    from crm_core.resources.export import export_job
    from plugins.customers.contacts.resource import CONTACTS

    app, ids = world

    class Job:
        def __init__(self, owner_id):
            self.id, self.owner_id, self.path = owner_id, owner_id, None

        def progress(self, *_args):
            pass

        def result_file(self, path):
            self.path = path

    files = {}
    with app.app_context():
        for name in ("mark", "mia"):
            job = Job(ids[name])
            export_job(CONTACTS, job)
            files[name] = job.path.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(files["mark"])))
    assert "138****5678" in files["mark"] and "w***@huayu.cn" in files["mark"]
    assert PHONE not in files["mark"] and EMAIL not in files["mark"] and len(rows) == 2
    assert EMAIL in files["mia"] and "138 1234 5678" in files["mia"]


def test_the_operation_log_pages_mask_changed_values_for_a_reader_without_the_permission(
        world):
    app, ids = world
    page = client(app, ids["sally"]).get(f"/customers/{ids['customer']}").get_data(
        as_text=True)
    assert PHONE not in page and "+8613812345678" not in page and EMAIL not in page
    record = f"/audit/record/customers_contact/{ids['contact']}"
    manager_view = client(app, ids["mia"]).get(record).get_data(as_text=True)
    assert EMAIL in manager_view  # a manager reads the log in clear


def test_reveals_stop_at_the_users_budget(world):
    app, ids = world
    app.config["CRM_SENSITIVE_REVEAL_LIMIT"] = "2 per day"
    sally = client(app, ids["sally"])
    page = sally.get(f"/customers/contacts/{ids['contact']}").get_data(as_text=True)
    reveal = f"/sensitive/customers.contact/{ids['contact']}/phones/reveal"
    answers = [sally.post(reveal, data={"index": "0", "csrf_token": csrf(page)}).status_code
               for _ in range(3)]
    assert answers == [200, 200, 429]


def test_the_resource_api_keeps_stored_values_for_masks_sent_back_and_refuses_others(world):
    app, ids = world
    sally = client(app, ids["sally"])
    headers = {"X-CSRFToken": csrf(sally.get("/customers/contacts").get_data(as_text=True))}
    url = f"/api/v1/customers/contacts/{ids['contact']}"
    read = sally.get(url).get_json()
    answer = sally.patch(url, json={"phones": read["phones"], "email": read["email"],
                                    "title": "CEO"}, headers=headers)
    assert answer.status_code == 200, answer.get_json()
    refused = sally.patch(url, json={"email": "x***@huayu.cn"}, headers=headers)
    assert refused.status_code == 422 and "email" in refused.get_json()["errors"]
    created = sally.post("/api/v1/customers/contacts", json={
        "customer_id": ids["customer"], "name": "李", "phones": ["138****5678"]},
        headers=headers)
    assert created.status_code == 422
    from plugins.customers.models import Contact

    with app.app_context():
        contact = get_session().get(Contact, ids["contact"])
        assert (contact.title, contact.phones, contact.email) == \
            ("CEO", ["+8613812345678"], EMAIL)
