"""A customer's department follows its owner on every path (issue 8, item 4): the API's
POST and PATCH, the form, the bulk "assign owner", the merge and the services themselves; a
department that is not the owner's is refused, and an East manager never sees a customer
handed to a West user."""

from __future__ import annotations

import pytest
from customers_testing import add_user, app_session, client_for, csrf

from crm_core.api.tokens import create_token
from crm_core.auth.models import User
from crm_core.rbac.departments import create_department
from plugins.customers import services
from plugins.customers.duplicates import merge
from plugins.customers.listing import bulk_actions
from plugins.customers.models import Customer
from plugins.customers.records.ownership import department_of_owner
from plugins.customers.validation import FieldError


def _bearer(session, user_id):
    _row, plain = create_token(session, session.get(User, user_id), "test")
    session.commit()
    return {"Authorization": f"Bearer {plain}"}


@pytest.fixture(params=["sqlite", "postgresql"])
def org(request, crm_make_app):
    """East and West, each with a sales rep; an East manager (the manager role sees its
    department); their API tokens."""
    app = crm_make_app(plugins=["customers"], database=request.param)
    with app_session(app) as session:
        east = create_department(session, "East").id
        west = create_department(session, "West").id
        ids = {"erin": add_user(app, session, "erin", ["sales"], east),
               "will": add_user(app, session, "will", ["sales"], west),
               "maud": add_user(app, session, "maud", ["manager"], east)}
        tokens = {name: _bearer(session, user_id) for name, user_id in ids.items()}
    return {"app": app, "east": east, "west": west, "ids": ids, "tokens": tokens}


def _department(app, customer_id):
    with app_session(app) as session:
        return session.get(Customer, customer_id).department_id


def _manager_sees(org, customer_id):
    client = org["app"].test_client()
    return client.get(f"/api/v1/customers/{customer_id}",
                      headers=org["tokens"]["maud"]).status_code == 200


def test_api_post_with_a_west_owner_puts_the_customer_in_west(org):
    client = org["app"].test_client()
    made = client.post("/api/v1/customers", json={"name": "Handed over",
                                                  "owner_id": org["ids"]["will"]},
                       headers=org["tokens"]["erin"])
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["department_id"] == org["west"]
    customer_id = made.get_json()["id"]
    assert _department(org["app"], customer_id) == org["west"]
    assert not _manager_sees(org, customer_id)
    # Without an owner given, the caller owns it, in the caller's department.
    mine = client.post("/api/v1/customers", json={"name": "Mine"},
                       headers=org["tokens"]["erin"]).get_json()
    assert mine["department_id"] == org["east"] and _manager_sees(org, mine["id"])


def test_api_patch_of_the_owner_moves_the_customer_to_the_new_owners_department(org):
    client = org["app"].test_client()
    made = client.post("/api/v1/customers", json={"name": "Moving"},
                       headers=org["tokens"]["erin"]).get_json()
    assert _manager_sees(org, made["id"])
    moved = client.patch(f"/api/v1/customers/{made['id']}",
                         json={"owner_id": org["ids"]["will"]}, headers=org["tokens"]["erin"])
    # The rep handed it away and sees it as saved, then no more.
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["department_id"] == org["west"]
    assert _department(org["app"], made["id"]) == org["west"]
    assert not _manager_sees(org, made["id"])
    assert client.get(f"/api/v1/customers/{made['id']}",
                      headers=org["tokens"]["erin"]).status_code == 404


def test_api_refuses_a_department_that_is_not_the_owners(org):
    client = org["app"].test_client()
    sneaky = client.post("/api/v1/customers", json={"name": "Sneaky",
                                                    "department_id": org["west"]},
                         headers=org["tokens"]["erin"])
    assert sneaky.status_code == 422
    assert list(sneaky.get_json()["errors"]) == ["department_id"]
    agreeing = client.post("/api/v1/customers", json={"name": "Agreeing",
                                                     "department_id": org["east"]},
                           headers=org["tokens"]["erin"])
    assert agreeing.status_code == 201
    patch = client.patch(f"/api/v1/customers/{agreeing.get_json()['id']}",
                         json={"department_id": org["west"]}, headers=org["tokens"]["erin"])
    assert patch.status_code == 422 and "department_id" in patch.get_json()["errors"]
    assert _department(org["app"], agreeing.get_json()["id"]) == org["east"]


def test_an_owner_must_be_an_active_user(org):
    with app_session(org["app"]) as session:
        session.get(User, org["ids"]["will"]).is_active = False
    client = org["app"].test_client()
    refused = client.post("/api/v1/customers", json={"name": "Nobody's",
                                                     "owner_id": org["ids"]["will"]},
                          headers=org["tokens"]["erin"])
    assert refused.status_code == 422 and "owner_id" in refused.get_json()["errors"]
    huge = client.post("/api/v1/customers", json={"name": "Huge", "owner_id": 2**40},
                       headers=org["tokens"]["erin"])
    assert huge.status_code == 422 and "owner_id" in huge.get_json()["errors"]


def test_the_form_bulk_assign_and_merge_follow_the_owner(org):
    app, ids = org["app"], org["ids"]
    with app_session(app) as session:
        first = services.create_customer(session, name="Form one", owner_id=ids["erin"]).id
        second = services.create_customer(session, name="Bulk one", owner_id=ids["erin"]).id
        kept = services.create_customer(session, name="ACME", owner_id=ids["erin"]).id
        other = services.create_customer(session, name="ACME Ltd", owner_id=ids["will"]).id
        assert session.get(Customer, other).department_id == org["west"]
    # The form: the owner select.
    client = client_for(app, ids["erin"])
    page = client.get(f"/customers/{first}/edit").get_data(as_text=True)
    response = client.post(f"/customers/{first}/edit", data={
        "csrf_token": csrf(page), "name": "Form one", "kind": "company",
        "owner_id": str(ids["will"]), "country": "CN", "status": "active"})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert _department(app, first) == org["west"]
    # Bulk: assign owner.
    with app_session(app) as session:
        erin = session.get(User, ids["erin"])
        changed = bulk_actions.apply_to(session, user=erin, action="assign_owner",
                                        value=ids["will"], ids=[second])
        assert changed == 1
    assert _department(app, second) == org["west"]
    # Merge: the kept customer takes the other's (West) owner, so its department too.
    with app_session(app) as session:
        merge.merge_customers(session, kept, [other], {"owner_id": other})
    assert _department(app, kept) == org["west"]
    for customer_id in (first, second, kept):
        assert not _manager_sees(org, customer_id)
    assert "department_id" not in merge.MERGE_FIELDS


def test_the_services_derive_the_department_and_refuse_another(org):
    with app_session(org["app"]) as session:
        customer = services.create_customer(session, name="Direct", owner_id=org["ids"]["erin"])
        assert customer.department_id == org["east"]
        assert department_of_owner(session, org["ids"]["will"]) == org["west"]
        assert department_of_owner(session, None) is None
        assert department_of_owner(session, 2**40) is None
        with pytest.raises(FieldError) as refused:
            services.update_customer(session, customer.id, {"department_id": org["west"]})
        assert refused.value.field == "department_id"
        services.update_customer(session, customer.id, {"owner_id": None})
        assert customer.department_id is None
