"""Flags other plugins raise on a customer (an open complaint): shown on the 360° page with
the raising plugin's label until cleared, never twice for the same cause, not shown once the
plugin that declares the kind is gone; every raise and clear is in the operation log."""

from __future__ import annotations

import pytest
from customers_testing import Browser, add_staff
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from crm_core.toolkit import DomainError, hookimpl
from plugins.customers import services
from plugins.customers.models import CustomerFlag

EN = {"Accept-Language": "en"}


class ComplaintsPlugin:
    """A stand-in for the service plugin, which flags customers with open complaints."""

    @hookimpl
    def crm_customer_flag_kinds(self):
        return {"service.complaint": _l("Open complaint")}


@pytest.fixture
def web(customers_app, session):
    customers_app.config["WTF_CSRF_ENABLED"] = False
    customers_app.extensions["crm"].pm.register(ComplaintsPlugin(), name="complaints-test")
    return Browser(customers_app, add_staff(customers_app, session, "root", superuser=True))


def _page(web, customer_id):
    return web.get(f"/customers/{customer_id}", headers=EN).get_data(as_text=True)


def test_a_raised_flag_shows_on_the_page_until_it_is_cleared(web, session):
    customer = services.create_customer(session, name="华宇科技有限公司")
    services.raise_flag(session, customer.id, "service.complaint", reference="SR202612-0007",
                        note="客户投诉交付延期")
    services.raise_flag(session, customer.id, "service.complaint", reference="SR202612-0007")
    session.commit()
    page = _page(web, customer.id)
    assert "Open complaint" in page and "SR202612-0007" in page and "客户投诉交付延期" in page
    assert page.count("customers-flag") == 1  # raised twice, shown once
    assert services.clear_flag(session, customer.id, "service.complaint") == 1
    session.commit()
    assert "Open complaint" not in _page(web, customer.id)
    # raised again later: the same row opens again
    services.raise_flag(session, customer.id, "service.complaint", reference="SR202612-0007")
    session.commit()
    assert "Open complaint" in _page(web, customer.id)
    assert session.scalar(select(func.count()).select_from(CustomerFlag)) == 1


def test_a_kind_no_enabled_plugin_declares_is_not_shown(web, session):
    customer = services.create_customer(session, name="明珠贸易有限公司")
    services.raise_flag(session, customer.id, "billing.overdue", reference="INV-1")
    session.commit()
    page = _page(web, customer.id)
    assert "billing.overdue" not in page and "INV-1" not in page
    assert [flag["kind"] for flag in services.open_flags(session, customer.id)] == []


def test_clearing_one_reference_leaves_the_others(session, customers_app):
    customers_app.extensions["crm"].pm.register(ComplaintsPlugin(), name="complaints-test")
    customer = services.create_customer(session, name="云帆科技有限公司")
    for number in ("SR-1", "SR-2"):
        services.raise_flag(session, customer.id, "service.complaint", reference=number)
    assert services.clear_flag(session, customer.id, "service.complaint",
                               reference="SR-1") == 1
    assert [flag["reference"] for flag in services.open_flags(session, customer.id)] == ["SR-2"]


def test_bad_flags_are_refused(session):
    customer = services.create_customer(session, name="白云电器有限公司")
    with pytest.raises(DomainError) as bad_kind:
        services.raise_flag(session, customer.id, "Complaint!")
    assert bad_kind.value.field == "kind"
    with pytest.raises(DomainError):
        services.raise_flag(session, 10**9, "service.complaint")
    with pytest.raises(DomainError) as long_reference:
        services.raise_flag(session, customer.id, "service.complaint", reference="x" * 101)
    assert long_reference.value.field == "reference"


def test_raising_and_clearing_are_in_the_operation_log(session):
    from crm_core.audit.models import AuditEntry

    customer = services.create_customer(session, name="华东物流有限公司")
    services.raise_flag(session, customer.id, "service.complaint", reference="SR-9")
    services.clear_flag(session, customer.id, "service.complaint")
    session.commit()
    actions = session.scalars(select(AuditEntry.action).where(
        AuditEntry.model == CustomerFlag.__tablename__).order_by(AuditEntry.id)).all()
    assert actions == ["insert", "update"]
