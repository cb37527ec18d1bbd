"""Custom fields on the customer pages as an administrator and staff use them: the admin
page adds a field (with a preview of the form), the customer form offers it and checks its
type, the 360° page shows it, and archiving (after a confirmation) and restoring keep the
values."""

from __future__ import annotations

import html

import pytest
from customers_testing import Browser, add_staff

from plugins.customers import services
from plugins.customers.models import Customer

EN = {"Accept-Language": "en"}
KIND = "customers.customer"


@pytest.fixture
def web(customers_app, session):
    customers_app.config["WTF_CSRF_ENABLED"] = False
    root = add_staff(customers_app, session, "root", superuser=True)
    return Browser(customers_app, root)


def add_field(web, **values):
    data = {"key": "segment", "type": "choice", "label_zh": "细分行业", "label_en": "Segment",
            "options": "医疗器械 #0d6efd\n汽车零部件", "filterable": "y", "section": "",
            **values}
    return web.post(f"/admin/custom-fields/new?kind={KIND}", data=data, headers=EN)


def test_the_admin_page_adds_a_field_and_previews_the_form(web):
    assert add_field(web).status_code == 302
    page = web.get(f"/admin/custom-fields/?kind={KIND}", headers=EN).get_data(as_text=True)
    assert "Segment" in page and "Preview of the form" in page
    assert 'name="custom.segment"' in page  # the preview's input
    taken = add_field(web)
    assert taken.status_code == 400 and "is taken" in taken.get_data(as_text=True)
    bad = add_field(web, key="Bad Key")
    assert bad.status_code == 400


def test_the_customer_form_checks_and_saves_a_custom_value(web, session):
    add_field(web)
    add_field(web, key="budget", type="money", label_en="Annual purchases",
              label_zh="年采购额", options="")
    form = web.get("/customers/new", headers=EN).get_data(as_text=True)
    assert 'name="custom.segment"' in form and 'name="custom.budget"' in form
    data = {"name": "华东医疗", "kind": "company", "country": "CN", "status": "active",
            "custom.segment": "医疗器械", "custom.budget": "很多"}
    refused = web.post("/customers/new", data=data, headers=EN)
    assert refused.status_code == 400
    assert "Enter a number." in html.unescape(refused.get_data(as_text=True))
    saved = web.post("/customers/new", data={**data, "custom.budget": "12,345.60"},
                     headers=EN)
    assert saved.status_code == 302
    customer = session.query(Customer).filter_by(name="华东医疗").one()
    assert customer.custom == {"segment": "医疗器械", "budget": 1234560}
    page = web.get(f"/customers/{customer.id}", headers=EN).get_data(as_text=True)
    assert "Annual purchases" in page and "12,345.60" in page and "医疗器械" in page


def test_archive_asks_first_and_restore_brings_values_back(web, session, customers_app):
    add_field(web)
    customer = services.create_customer(session, name="华东医疗",
                                        custom={"segment": "医疗器械"})
    session.commit()
    from crm_core.custom_fields.models import CustomField

    field = session.query(CustomField).filter_by(key="segment").one()
    ask = web.get(f"/admin/custom-fields/{field.id}/archive", headers=EN)
    assert ask.status_code == 200 and "Archive Segment?" in ask.get_data(as_text=True)
    assert web.post(f"/admin/custom-fields/{field.id}/archive", headers=EN).status_code == 302
    page = web.get(f"/customers/{customer.id}", headers=EN).get_data(as_text=True)
    assert "crm-custom-values" not in page
    assert web.post(f"/admin/custom-fields/{field.id}/restore", headers=EN).status_code == 302
    page = web.get(f"/customers/{customer.id}", headers=EN).get_data(as_text=True)
    assert "crm-custom-values" in page and "医疗器械" in page


def test_a_removed_option_stays_visible_as_removed(web, session):
    add_field(web)
    customer = services.create_customer(session, name="一汽配套",
                                        custom={"segment": "汽车零部件"})
    session.commit()
    from crm_core.custom_fields.models import CustomField

    field = session.query(CustomField).filter_by(key="segment").one()
    changed = web.post(f"/admin/custom-fields/{field.id}/edit", data={
        "type": "choice", "label_zh": "细分行业", "label_en": "Segment",
        "options": "医疗器械 => 医疗设备"}, headers=EN)
    assert changed.status_code == 302, changed.get_data(as_text=True)
    page = web.get(f"/customers/{customer.id}", headers=EN).get_data(as_text=True)
    assert "汽车零部件 (removed)" in html.unescape(page)


def test_the_list_filters_by_a_custom_field_and_shows_its_column(web, session):
    add_field(web)
    add_field(web, key="budget", type="money", label_en="Annual purchases",
              label_zh="年采购额", options="")
    for name, segment in (("华东医疗", "医疗器械"), ("一汽配套", "汽车零部件"), ("没分类", None)):
        services.create_customer(session, name=name,
                                 custom={"segment": segment} if segment else {})
    session.commit()
    page = web.get("/customers/?custom.segment=医疗器械", headers=EN).get_data(as_text=True)
    assert "华东医疗" in page and "一汽配套" not in page and "没分类" not in page
    assert 'name="custom.segment"' in page and "crm-custom-column" in page
    bad = web.get("/customers/?custom.budget_min=abc", headers=EN)
    assert bad.status_code in (200, 400) and "一汽配套" in bad.get_data(as_text=True)
    # the filter stays in the page's links and in a saved segment
    saved = web.post("/customers/segments", data={
        "name": "医疗", "filters_qs": "custom.segment=医疗器械"}, headers=EN)
    assert saved.status_code == 302, saved.get_data(as_text=True)
    listed = web.get(saved.headers["Location"], headers=EN).get_data(as_text=True)
    assert "华东医疗" in listed and "一汽配套" not in listed


def test_the_operation_log_shows_one_change_per_field_by_its_label(web, session,
                                                                   customers_app):
    add_field(web)
    customer = services.create_customer(session, name="华东医疗",
                                        custom={"segment": "医疗器械"})
    session.commit()
    services.update_customer(session, customer.id, {"custom": {"segment": "汽车零部件"}})
    session.commit()
    with customers_app.test_request_context(headers={"Accept-Language": "en"}):
        from crm_core.audit.display import shown_changes
        from crm_core.toolkit import record_history

        changes = [change for entry in record_history(Customer, customer.id)
                   for change in shown_changes(entry) if change.field == "custom.segment"]
    assert any(change.label == "Segment" and change.old == "医疗器械"
               and change.new == "汽车零部件" for change in changes), changes
