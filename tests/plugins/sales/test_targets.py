"""Sales targets at /sales/targets and /api/v1/sales/targets: managers set them per user or
department and month or quarter, in yuan; one per period; a manager stays in their
department; reps may not set them."""

from __future__ import annotations

import pytest
from sales_s5_world import client_of, csrf, make_world
from sqlalchemy import select


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """An app with customers and sales and the S5 world."""
    from crm_core.app import create_app
    from crm_core.migrate import upgrade
    from crm_core.testing import test_config

    instance = tmp_path_factory.mktemp("sales-targets")
    app = create_app(test_config(instance, f"sqlite:///{instance / 'crm.sqlite'}",
                                 ["customers", "sales"]))
    with app.app_context():
        upgrade(app)
    yield make_world(app)
    app.extensions["crm_db"].engine.dispose()


def _targets(world):
    from plugins.sales.models import Target

    with world.app.app_context():
        session = world.app.extensions["crm_db"].new_session()
        rows = [(row.user_id, row.department_id, row.period_kind, str(row.period_start),
                 row.amount) for row in session.scalars(select(Target).order_by(Target.id))]
        session.close()
    return rows


def test_a_manager_sets_a_reps_month_target_in_yuan_and_the_department_follows(world):
    manager = client_of(world, "manager_west")
    form = manager.get("/sales/targets/new")
    assert form.status_code == 200
    rep = world.users["rep_west"]
    answer = manager.post("/sales/targets", data={
        "csrf_token": csrf(form.get_data(as_text=True)), "user_id": str(rep.id),
        "department_id": str(world.departments["East"]), "period_kind": "month",
        "period_start": "2027-01", "amount": "150000.50"})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    assert (rep.id, world.departments["West"], "month", "2027-01-01", 15_000_050) \
        in _targets(world)
    listing = manager.get("/sales/targets").get_data(as_text=True)
    assert "150000.50" in listing and "West" in listing


def test_a_second_target_for_the_same_period_is_refused_under_the_period(world):
    manager = client_of(world, "manager_west")
    page = manager.get("/sales/targets/new").get_data(as_text=True)
    data = {"csrf_token": csrf(page), "department_id": str(world.departments["West"]),
            "period_kind": "quarter", "period_start": "2027-04", "amount": "900000"}
    assert manager.post("/sales/targets", data=data).status_code == 302
    again = manager.post("/sales/targets", data=data)
    assert again.status_code == 400
    assert "There is already a target for this department and 2027-04." in \
        again.get_data(as_text=True)


def test_a_quarter_starts_in_a_quarters_first_month(world):
    api = client_of(world, "manager_west", api=True)
    answer = api.post("/api/v1/sales/targets", json={
        "department_id": world.departments["West"], "period_kind": "quarter",
        "period_start": "2027-05-01", "amount": "1000"})
    assert answer.status_code == 422
    assert answer.content_type.startswith("application/problem+json")
    assert "period_start" in answer.get_json()["errors"]


def test_the_api_takes_and_answers_yuan_and_refuses_a_duplicate(world):
    api = client_of(world, "manager_west", api=True)
    body = {"user_id": world.users["manager_west"].id, "period_kind": "month",
            "period_start": "2027-03-01", "amount": "88000.10"}
    created = api.post("/api/v1/sales/targets", json=body)
    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.get_json()["amount"] == "88000.10"
    duplicate = api.post("/api/v1/sales/targets", json=body)
    assert duplicate.status_code == 422
    assert "period_start" in duplicate.get_json()["errors"]
    assert api.post("/api/v1/sales/targets", json={**body, "amount": "-5"}).status_code == 422


def test_a_manager_cannot_set_or_see_another_departments_targets(world):
    west = client_of(world, "manager_west", api=True)
    refused = west.post("/api/v1/sales/targets", json={
        "user_id": world.users["rep_east"].id, "period_kind": "month",
        "period_start": "2027-06-01", "amount": "1"})
    assert refused.status_code == 422
    east = client_of(world, "manager_east", api=True)
    made = east.post("/api/v1/sales/targets", json={
        "user_id": world.users["rep_east"].id, "period_kind": "month",
        "period_start": "2027-06-01", "amount": "77777"})
    assert made.status_code == 201
    target_id = made.get_json()["id"]
    assert west.get(f"/api/v1/sales/targets/{target_id}").status_code == 404
    assert "77777" not in west.get("/api/v1/sales/targets").get_data(as_text=True)


def test_an_unknown_or_foreign_department_or_user_is_a_field_error_not_a_crash(world):
    west = client_of(world, "manager_west", api=True)
    base = {"period_kind": "month", "period_start": "2027-07-01", "amount": "1"}
    for whose, field in (({"department_id": 999_999}, "department_id"),
                         ({"department_id": world.departments["East"]}, "department_id"),
                         ({"user_id": 999_999}, "user_id")):
        answer = west.post("/api/v1/sales/targets", json={**base, **whose})
        assert answer.status_code == 422, (whose, answer.get_data(as_text=True))
        assert field in answer.get_json()["errors"]
    made = west.post("/api/v1/sales/targets", json={
        **base, "department_id": world.departments["West"]})
    assert made.status_code == 201
    changed = west.patch(f"/api/v1/sales/targets/{made.get_json()['id']}",
                         json={"department_id": 999_999})
    assert changed.status_code == 422
    assert "department_id" in changed.get_json()["errors"]


def test_reps_may_not_set_targets(world):
    rep = client_of(world, "rep_west")
    assert rep.get("/sales/targets").status_code == 403
    assert rep.get("/sales/targets/new").status_code == 403
