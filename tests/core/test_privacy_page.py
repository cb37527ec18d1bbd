"""The admin page "Personal data requests": an administrator looks a person up and sees what
each module holds, downloads the export, and erases only after typing the e-mail or phone
again; every step is in the operation log without the clear e-mail or phone; a sales rep may
not open the page."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from sqlalchemy import select

from crm_core.testing_clients import client_as, create_test_user, csrf_token_of, login

EMAIL = "sun.qi@example.com"


@pytest.mark.crm_plugins("customers")
def test_look_up_export_and_erase_from_the_page(crm_app):
    from crm_core.db import get_session
    from plugins.customers import services

    with crm_app.app_context():
        session = get_session()
        services.create_customer(session, name="孙七", kind="person", emails=[EMAIL],
                                 phones=["13611112222"])
        session.commit()
    admin = login(crm_app.test_client(), create_test_user(crm_app, "dpo", superuser=True))
    page = admin.get("/admin/privacy/")
    assert page.status_code == 200 and "Personal data requests" in page.get_data(as_text=True)
    token = csrf_token_of(admin, "/admin/privacy/")

    bad = admin.post("/admin/privacy/", data={"csrf_token": token, "email": "not-an-address"})
    assert bad.status_code == 422 and "not an e-mail address" in bad.get_data(as_text=True)
    found = admin.post("/admin/privacy/", data={"csrf_token": token, "phone": "136-1111-2222"})
    shown = found.get_data(as_text=True)
    assert found.status_code == 200 and "customers" in shown and "+8613611112222" in shown

    download = admin.post("/admin/privacy/export", data={
        "csrf_token": token, "phone": "+8613611112222", "format": "zip"})
    assert download.status_code == 200 and download.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(download.data)) as archive:
        customers = json.loads(archive.read("customers.json"))["customers"]
    assert customers[0]["emails"] == [EMAIL]

    unconfirmed = admin.post("/admin/privacy/erase", data={
        "csrf_token": token, "phone": "+8613611112222", "confirm": "13600000000"})
    assert unconfirmed.status_code == 422
    assert "exactly as looked up" in unconfirmed.get_data(as_text=True)
    done = admin.post("/admin/privacy/erase", data={
        "csrf_token": token, "phone": "+8613611112222", "confirm": "136 1111 2222"},
        follow_redirects=True)
    assert done.status_code == 200 and "Erasure 1 done" in done.get_data(as_text=True)

    from crm_core.audit.models import AuditEntry

    with crm_app.app_context():
        entries = list(get_session().scalars(select(AuditEntry).where(
            AuditEntry.action.like("privacy_%")).order_by(AuditEntry.id)))
    assert [e.action for e in entries] == ["privacy_lookup", "privacy_export",
                                           "privacy_lookup", "privacy_erase"]
    for entry in entries:
        assert "13611112222" not in entry.changes and EMAIL not in entry.changes
    again = admin.post("/admin/privacy/", data={"csrf_token": token, "email": EMAIL})
    assert "No module holds data about this person" in again.get_data(as_text=True)


@pytest.mark.crm_plugins("customers")
def test_a_sales_rep_may_not_handle_personal_data_requests(crm_app):
    rep = client_as(crm_app, "sales")
    assert rep.get("/admin/privacy/").status_code == 403


@pytest.mark.crm_plugins("customers")
def test_odd_values_to_export_and_erase_answer_4xx_never_500(crm_app):
    admin = login(crm_app.test_client(), create_test_user(crm_app, "dpo", superuser=True))
    token = csrf_token_of(admin, "/admin/privacy/")
    odd = ["", "\x00", "a" * 5000, "2147483648", "x@y", "+86 1", "<script>"]
    for url in ("/admin/privacy/", "/admin/privacy/export", "/admin/privacy/erase"):
        for value in odd:
            for field in ("email", "phone", "confirm", "format"):
                answer = admin.post(url, data={"csrf_token": token, field: value})
                assert 400 <= answer.status_code < 500, (url, field, value, answer.status_code)
        lone_surrogate = admin.post(url, data=f"csrf_token={token}&email=%ED%A0%80&phone=1",
                                    content_type="application/x-www-form-urlencoded")
        assert 400 <= lone_surrogate.status_code < 500
    # a well-formed request for nobody is still confirmed before anything is erased
    answer = admin.post("/admin/privacy/erase", data={"csrf_token": token,
                                                      "email": "nobody@example.com"})
    assert answer.status_code == 422


@pytest.mark.crm_plugins("customers")
def test_a_module_that_fails_is_named_and_nothing_is_logged(crm_app, monkeypatch):
    from plugins.customers import privacy as customers_privacy

    def broken(person, session):
        raise RuntimeError("index corrupt")

    monkeypatch.setattr(customers_privacy, "export", broken)
    admin = login(crm_app.test_client(), create_test_user(crm_app, "dpo", superuser=True))
    token = csrf_token_of(admin, "/admin/privacy/")
    answer = admin.post("/admin/privacy/", data={"csrf_token": token, "email": EMAIL})
    assert answer.status_code == 500
    assert "Module customers could not answer" in answer.get_data(as_text=True)
    assert "index corrupt" not in answer.get_data(as_text=True)
    from crm_core.audit.models import AuditEntry
    from crm_core.db import get_session

    with crm_app.app_context():
        assert get_session().scalar(select(AuditEntry.id).where(
            AuditEntry.action.like("privacy_%"))) is None
