"""Bulk actions from the list: a confirmation naming the count, then the change on the
selection or the whole filtered set, only within the user's scope, with its permission; big
sets run as a job in a real worker. And the trash with Restore."""

from __future__ import annotations

import time

import pytest
from customers_testing import add_customers, add_user, app_session, client_for, csrf, listed
from sqlalchemy import select

from crm_core.jobs.models import Job
from crm_core.rbac.departments import create_department
from plugins.customers import services
from plugins.customers.models import Customer, CustomerStat, CustomerTag


@pytest.fixture
def teams(customers_app):
    """Sally (sales, team A) with three IT customers and one in Retail, Bob (sales, team B)
    with one IT customer, a tag and a type; returns the ids in a dict."""
    app = customers_app
    with app_session(app) as session:
        team_a = create_department(session, "Team A").id
        team_b = create_department(session, "Team B").id
        ids = {"sally": add_user(app, session, "sally", ["sales"], team_a),
               "bob": add_user(app, session, "bob", ["sales"], team_b),
               "vera": add_user(app, session, "vera", ["viewer"], team_a),
               "tag": services.create_tag(session, "VIP", "#ffc107").id,
               "type": services.create_customer_type(session, "Key account").id}
        ids["mine"] = add_customers(session, ["A1", "A2", "A3"], industry="IT",
                                    owner_id=ids["sally"], department_id=team_a)
        ids["retail"] = add_customers(session, ["A4"], industry="Retail",
                                      owner_id=ids["sally"], department_id=team_a)
        ids["bobs"] = add_customers(session, ["B1"], industry="IT", owner_id=ids["bob"],
                                    department_id=team_b)
    return ids


def tags_of(app, customer_ids):
    with app_session(app) as session:
        return {customer_id: sorted(session.scalars(select(CustomerTag.tag_id).where(
            CustomerTag.customer_id == customer_id))) for customer_id in customer_ids}


def types_of(app, customer_ids):
    with app_session(app) as session:
        return [session.get(Customer, customer_id).customer_type_id
                for customer_id in customer_ids]


def test_a_bulk_action_on_a_selection_confirms_the_count_first(customers_app, teams):
    client = client_for(customers_app, teams["sally"])
    token = csrf(client.get("/customers/").get_data(as_text=True))
    chosen = teams["mine"][:2]
    response = client.post("/customers/bulk", data={
        "csrf_token": token, "action": "add_tag", "scope": "selected", "ids": chosen,
        "filters_qs": "industry=IT"})
    confirm = response.get_data(as_text=True)
    assert response.status_code == 200 and "2 customers will be changed." in confirm
    assert tags_of(customers_app, chosen) == {chosen[0]: [], chosen[1]: []}  # nothing yet

    response = client.post("/customers/bulk", data={
        "csrf_token": csrf(confirm), "action": "add_tag", "scope": "selected", "step": "run",
        "ids": ",".join(map(str, chosen)), "filters_qs": "industry=IT",
        "tag_id": str(teams["tag"])})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/customers/?industry=IT")
    assert "Added the tag VIP to 2 customers." in client.get(
        response.headers["Location"]).get_data(as_text=True)
    assert tags_of(customers_app, teams["mine"]) == {
        chosen[0]: [teams["tag"]], chosen[1]: [teams["tag"]], teams["mine"][2]: []}

    # The value of the action is required: the confirmation comes back with the error.
    token = csrf(client.get("/customers/").get_data(as_text=True))
    response = client.post("/customers/bulk", data={
        "csrf_token": token, "action": "assign_owner", "scope": "selected", "step": "run",
        "ids": str(teams["mine"][0]), "owner_id": ""})
    assert response.status_code == 400 and "Choose one." in response.get_data(as_text=True)


def test_a_bulk_action_on_the_filtered_set_stays_in_scope_and_needs_permission(
        customers_app, teams):
    client = client_for(customers_app, teams["sally"])
    token = csrf(client.get("/customers/").get_data(as_text=True))
    form = {"csrf_token": token, "action": "change_type", "scope": "all",
            "filters_qs": "industry=IT"}
    confirm = client.post("/customers/bulk", data=form).get_data(as_text=True)
    assert "3 customers will be changed." in confirm  # Sally's IT customers, not Bob's

    response = client.post("/customers/bulk", data={
        **form, "csrf_token": csrf(confirm), "step": "run",
        "customer_type_id": str(teams["type"])})
    assert response.status_code == 302
    assert types_of(customers_app, teams["mine"]) == [teams["type"]] * 3
    assert types_of(customers_app, teams["retail"] + teams["bobs"]) == [None, None]

    # Each action needs its permission: a viewer may run none, sales may not delete.

    viewer = client_for(customers_app, teams["vera"])
    token = csrf(viewer.get("/customers/").get_data(as_text=True))
    for action in ("add_tag", "assign_owner", "trash", "export"):
        response = viewer.post("/customers/bulk", data={
            "csrf_token": token, "action": action, "scope": "all"})
        assert response.status_code == 403, action
    sales = client_for(customers_app, teams["sally"])
    token = csrf(sales.get("/customers/").get_data(as_text=True))
    response = sales.post("/customers/bulk", data={"csrf_token": token, "action": "trash",
                                                    "scope": "all", "step": "run"})
    assert response.status_code == 403  # sales may edit but not delete
    assert len(listed(sales.get("/customers/").get_data(as_text=True))) == 4


def test_trash_lists_deleted_customers_and_restores_them(customers_app, teams):
    with app_session(customers_app) as session:
        team_a = session.get(Customer, teams["mine"][0]).department_id
        mia = add_user(customers_app, session, "mia", ["manager"], team_a)
    client = client_for(customers_app, mia)
    token = csrf(client.get("/customers/").get_data(as_text=True))
    confirm = client.post("/customers/bulk", data={
        "csrf_token": token, "action": "trash", "scope": "selected",
        "ids": teams["mine"][:2]}).get_data(as_text=True)
    assert "2 customers will be moved to the trash" in confirm
    client.post("/customers/bulk", data={
        "csrf_token": csrf(confirm), "action": "trash", "scope": "selected", "step": "run",
        "ids": ",".join(map(str, teams["mine"][:2]))})
    assert listed(client.get("/customers/?sort=name&order=asc").get_data(as_text=True)) == [
        "A3", "A4"]
    trash = client.get("/customers/trash").get_data(as_text=True)
    assert sorted(listed(trash)) == ["A1", "A2"]

    response = client.post(f"/customers/trash/{teams['mine'][0]}/restore",
                           data={"csrf_token": csrf(trash)})
    assert response.status_code == 302
    assert listed(client.get("/customers/trash").get_data(as_text=True)) == ["A2"]
    assert "A1" in listed(client.get("/customers/").get_data(as_text=True))
    # Bob's customer is outside Mia's scope: restoring it is a 404, and sales has no trash.
    assert client.post(f"/customers/trash/{teams['bobs'][0]}/restore",
                       data={"csrf_token": csrf(trash)}).status_code == 404
    assert client_for(customers_app, teams["sally"]).get("/customers/trash").status_code == 403

    # Export is handed to the export part's job; the user lands on the job's page.
    confirm = client.post("/customers/bulk", data={
        "csrf_token": token, "action": "export", "scope": "all",
        "filters_qs": "industry=IT"}).get_data(as_text=True)
    assert "2 customers will be exported." in confirm  # A1 and A3: A2 is in the trash
    response = client.post("/customers/bulk", data={
        "csrf_token": token, "action": "export", "scope": "all", "step": "run",
        "filters_qs": "industry=IT", "fmt": "xlsx"})
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    with app_session(customers_app) as session:
        job = session.scalars(select(Job).order_by(Job.id.desc())).first()
        assert (job.task, job.owner_id) == ("customers.export_customers", mia)


def test_a_bulk_action_above_the_inline_limit_runs_as_a_job_in_the_worker(
        crm_make_app, crm_start_worker):
    app = crm_make_app(plugins=["customers"], CRM_CUSTOMERS_BULK_INLINE_LIMIT=2)
    with app_session(app) as session:
        team = create_department(session, "Team A").id
        sally = add_user(app, session, "sally", ["sales"], team)
        tag = services.create_tag(session, "Spring fair").id
        ids = add_customers(session, ["J1", "J2", "J3"], owner_id=sally, department_id=team)
        outside = add_customers(session, ["Other"])
    client = client_for(app, sally)
    token = csrf(client.get("/customers/").get_data(as_text=True))
    confirm = client.post("/customers/bulk", data={
        "csrf_token": token, "action": "add_tag", "scope": "all"}).get_data(as_text=True)
    assert "3 customers will be changed." in confirm
    response = client.post("/customers/bulk", data={
        "csrf_token": csrf(confirm), "action": "add_tag", "scope": "all", "step": "run",
        "tag_id": str(tag)})
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    job_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    assert tags_of(app, ids) == {customer_id: [] for customer_id in ids}  # not in the request

    crm_start_worker(app)
    deadline = time.monotonic() + 60
    while True:
        with app_session(app) as session:
            job = session.get(Job, job_id)
            state, message, progress = job.state, job.message, job.progress
        if state in ("done", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert (state, progress) == ("done", 100), message
    assert message == "3 customers changed."
    assert tags_of(app, ids + outside) == {**{customer_id: [tag] for customer_id in ids},
                                           outside[0]: []}
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "3 customers changed." in page
    with app_session(app) as session:  # the job brought the widgets' counts up to date
        assert sorted(session.scalars(select(CustomerStat.count).where(
            CustomerStat.dimension == "industry"))) == [1, 3]  # per owner: Sally's, nobody's
