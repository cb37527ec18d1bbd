"""Other plugins hear about customers through this plugin's hookspecs: each event arrives in
the unit of work with ids, and a listener that fails is logged and never loses the save."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from crm_core.db import get_session
from plugins.customers import services
from plugins.customers.models import Customer, Tag

LISTENER = '''
    from crm_core.toolkit import PluginInfo, hookimpl

    PLUGIN = PluginInfo(name="listener", version="0.1", title="Listens",
                        requires=("customers",))
    HEARD = []

    @hookimpl
    def customer_created(customer_id):
        HEARD.append(("created", customer_id))

    @hookimpl
    def customer_updated(customer_id, changed):
        HEARD.append(("updated", customer_id, list(changed)))

    @hookimpl
    def customer_deleted(customer_id):
        HEARD.append(("deleted", customer_id))

    @hookimpl
    def customer_restored(customer_id):
        HEARD.append(("restored", customer_id))
'''

GRUMPY = '''
    from crm_core.toolkit import PluginInfo, db, hookimpl

    PLUGIN = PluginInfo(name="grumpy", version="0.1", title="Fails",
                        requires=("customers",))

    @hookimpl
    def customer_created(customer_id):
        from plugins.customers.services import create_tag

        create_tag(db.session, "half-done work")   # written, then the listener breaks
        raise RuntimeError("grumpy is broken")
'''


@pytest.fixture
def heard(crm_install_plugin):
    crm_install_plugin("listener", LISTENER)
    crm_install_plugin("grumpy", GRUMPY)
    import listener_plugin.plugin as listener

    listener.HEARD.clear()
    return listener.HEARD


def test_listeners_hear_each_change_with_ids_before_commit(crm_make_app, heard):
    app = crm_make_app(plugins=["customers", "listener"])
    with app.test_request_context():
        session = get_session()
        customer = services.create_customer(session, name="ACME")
        assert heard == [("created", customer.id)]  # inside the unit of work, not committed
        services.update_customer(session, customer.id, {"name": "ACME", "level": "A"})
        services.update_customer(session, customer.id, {"level": "A"})  # nothing changed
        services.delete_customer(session, customer.id)
        services.restore_customer(session, customer.id)
        session.rollback()
        # The events came before any commit: rolling back leaves no customer behind.
        assert session.scalar(select(Customer.id)) is None
    assert heard == [("created", customer.id), ("updated", customer.id, ["level"]),
                     ("deleted", customer.id), ("restored", customer.id)]


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgresql",
                                                             marks=pytest.mark.postgres)])
def test_a_failing_listener_is_logged_and_the_customer_is_still_saved(crm_make_app, heard,
                                                                     caplog, database):
    app = crm_make_app(plugins=["customers", "grumpy", "listener"], database=database)
    with caplog.at_level(logging.ERROR, logger="crm_core.events"):
        with app.test_request_context():
            session = get_session()
            customer = services.create_customer(session, name="ACME")
            session.commit()
            customer_id = customer.id
    with app.test_request_context():
        session = get_session()
        assert session.get(Customer, customer_id).name == "ACME"
        assert session.scalars(select(Tag.name)).all() == []  # the failed listener's write
    assert heard == [("created", customer_id)]              # the other listener still ran
    failures = [r for r in caplog.records if r.name == "crm_core.events"]
    assert len(failures) == 1
    assert "grumpy" in failures[0].getMessage() and "customer_created" in failures[0].getMessage()
    assert "grumpy is broken" in failures[0].exc_text


def test_hookspecs_are_documented_and_offered_to_other_plugins(crm_make_app):
    app = crm_make_app(plugins=["customers"], migrate=False)
    hook = app.extensions["crm"].hook
    for name in ["customer_created", "customer_updated", "customer_deleted",
                 "customer_restored", "customer_merged", "customer_purged", "crm_customer_panels",
                 "crm_customer_timeline"]:
        spec = getattr(hook, name).spec
        assert spec is not None and spec.function.__doc__, name
