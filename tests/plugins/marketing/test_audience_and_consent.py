"""The consent ledger and audiences: consents recorded and withdrawn through the API (the
issue's interface) with their history; an audience of tagged customers' contacts drops the
unsubscribed, those without consent or an address and counts why; freezing writes the
eligible addresses once, and the snapshot stays when tags change later."""

from __future__ import annotations

from marketing_testing import client_as, csrf, tagged_customers, unique
from sqlalchemy import select

from plugins.marketing.models import CampaignMember, ConsentState


def test_consent_is_granted_withdrawn_and_its_history_kept(marketing_app):
    api = client_as(marketing_app, "marketing", api=True)
    email = f"Li.Na-{unique()}@Example.cn"
    granted = api.post("/api/v1/marketing/consents", json={
        "email": email, "purpose": "marketing_email", "granted": True, "source": "展会登记"})
    assert granted.status_code == 201, granted.get_json()
    assert granted.get_json()["email"] == email.lower()
    withdrawn = api.post("/api/v1/marketing/consents", json={
        "email": email, "purpose": "marketing_email", "granted": False,
        "source": "unsubscribe"})
    assert withdrawn.status_code == 201
    history = api.get("/api/v1/marketing/consents", query_string={"email": email}).get_json()
    assert history["granted"] is False
    assert [(item["granted"], item["source"], item["by"]) for item in history["items"]] == [
        (False, "unsubscribe", "user"), (True, "展会登记", "user")]
    bad = api.post("/api/v1/marketing/consents", json={"email": "not-an-address",
                                                       "granted": True})
    assert bad.status_code == 422 and "email" in bad.get_json()["errors"]
    viewer = client_as(marketing_app, "viewer", api=True)
    assert viewer.post("/api/v1/marketing/consents", json={
        "email": email, "granted": True}).status_code == 403

    page = client_as(marketing_app, "marketing")
    exported = page.get("/marketing/consents/history", query_string={"email": email})
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    lines = exported.get_data().decode("utf-8-sig").splitlines()
    assert lines[0] == "At,E-mail,Purpose,Decision,Source,Recorded by"
    assert [line.split(",")[3:5] for line in lines[1:]] == [
        ["Withdrawn", "unsubscribe"], ["Granted", "展会登记"]]
    assert client_as(marketing_app, "viewer").get("/marketing/consents/history",
                      query_string={"email": email}).status_code == 403


def test_the_consents_page_records_one_and_lists_it(marketing_app):
    marketer = client_as(marketing_app, "marketing")
    email = f"zhang-{unique()}@example.com"
    form = "/marketing/consents/new"
    done = marketer.post("/marketing/consents", data={
        "csrf_token": csrf(marketer, form), "email": email, "purpose": "marketing_email",
        "granted": "y", "source": "电话确认"})
    assert done.status_code == 302, done.get_data(as_text=True)[:1500]
    shown = marketer.get("/marketing/consents", query_string={"q": email})
    assert email in shown.get_data(as_text=True)
    with marketing_app.app_context():
        session = marketing_app.extensions["crm_db"].new_session()
        assert session.get(ConsentState, (email, "marketing_email")).granted is True
        session.close()


def test_the_audience_drops_and_counts_then_freezes_a_snapshot(marketing_app):
    tag = unique()
    people = [{"email": f"a-{tag}@example.com", "consent": True},
              {"email": f"b-{tag}@example.com", "consent": False},
              {"email": f"c-{tag}@example.com"},
              {"email": ""},
              {"email": f"d-{tag}@example.com", "consent": True, "primary": False},
              {"email": f"e-{tag}@example.com", "consent": True, "tagged": False},
              {"email": f"f-{tag}@example.com", "consent": True}]
    made = tagged_customers(marketing_app, people)
    department = f"市场部 {tag}"
    api = client_as(marketing_app, "marketing", department=department, api=True)
    body = {"name": "会员日邮件", "type": "email", "budget": "0", "subject": "会员日",
            "html": "<p>hi</p>", "audience": {"tag_ids": [made["tag_id"]],
                                              "exclude_emails": [f"F-{tag}@example.com"]}}
    campaign_id = api.post("/api/v1/marketing/campaigns", json=body).get_json()["id"]
    audience = f"/api/v1/marketing/campaigns/{campaign_id}/audience"
    counts = api.get(audience).get_json()
    assert counts["eligible"] == 1
    assert counts["excluded"] == {"no_consent": 1, "unsubscribed": 1, "no_email": 1,
                                  "listed": 1}

    everyone = api.patch(f"/api/v1/marketing/campaigns/{campaign_id}", json={
        "audience": {"tag_ids": [made["tag_id"]], "contacts": "all"}})
    assert everyone.status_code == 200, everyone.get_json()
    assert api.get(audience).get_json()["eligible"] == 3  # a, d (not primary) and f

    frozen = api.post(audience)
    assert frozen.status_code == 201 and frozen.get_json()["members"] == 3
    assert api.post(audience).status_code == 409
    assert api.patch(f"/api/v1/marketing/campaigns/{campaign_id}", json={
        "audience": {"tag_ids": []}}).status_code == 409

    # a later consent and tag change leaves the snapshot as it was
    api.post("/api/v1/marketing/consents", json={"email": f"c-{tag}@example.com",
                                                 "granted": True, "source": "web"})
    with marketing_app.app_context():
        session = marketing_app.extensions["crm_db"].new_session()
        members = session.execute(select(CampaignMember.email, CampaignMember.status,
                                         CampaignMember.customer_id)
                                  .where(CampaignMember.campaign_id == campaign_id)
                                  .order_by(CampaignMember.email)).all()
        session.close()
    assert [row.email for row in members] == [f"{x}-{tag}@example.com" for x in "adf"]
    assert {row.status for row in members} == {"planned"}
    assert members[0].customer_id == made["customer_ids"][0]
    assert api.get(audience).get_json()["eligible"] == 3

    page = client_as(marketing_app, "manager", department=department)
    shown = page.get(f"/marketing/campaigns/{campaign_id}").get_data(as_text=True)
    assert "Frozen" in shown


def test_the_audience_form_sets_tags_and_exclusions_and_the_page_previews_them(marketing_app):
    tag = unique()
    made = tagged_customers(marketing_app, [
        {"email": f"g-{tag}@example.com", "consent": True},
        {"email": f"h-{tag}@example.com", "consent": True}])
    department = f"市场部 {tag}"
    marketer = client_as(marketing_app, "marketing", department=department)
    api = client_as(marketing_app, "marketing", department=department, api=True)
    campaign_id = api.post("/api/v1/marketing/campaigns", json={
        "name": "老客户回馈", "type": "email"}).get_json()["id"]
    form = f"/marketing/campaigns/{campaign_id}/audience/edit"
    refused = marketer.post(form, data={"csrf_token": csrf(marketer, form),
                                        "tag_ids": "3, abc", "contacts": "primary"})
    assert refused.status_code == 400
    saved = marketer.post(form, data={
        "csrf_token": csrf(marketer, form), "tag_ids": f"{made['tag_id']}",
        "contacts": "primary", "exclude_emails": f"H-{tag}@example.com\n"})
    assert saved.status_code == 302, saved.get_data(as_text=True)[:1500]
    shown = marketer.get(f"/marketing/campaigns/{campaign_id}").get_data(as_text=True)
    assert 'id="audience-counts"' in shown and "Freeze the audience" in shown
    assert f"Tags (any of): {made['tag_id']}" in shown
    assert api.get(f"/api/v1/marketing/campaigns/{campaign_id}/audience").get_json() == {
        "eligible": 1, "frozen": False,
        "excluded": {"no_consent": 0, "unsubscribed": 0, "no_email": 0, "listed": 1}}


def test_the_customer_page_shows_each_contacts_consent(marketing_app):
    tag = unique()
    made = tagged_customers(marketing_app, [{"email": f"k-{tag}@example.com",
                                             "consent": False}])
    marketer = client_as(marketing_app, "marketing")
    shown = marketer.get(f"/customers/{made['customer_ids'][0]}").get_data(as_text=True)
    # the address masked for a marketer (号码脱敏: tests/plugins/customers/test_masking.py)
    assert "Marketing consent" in shown and "k***@example.com" in shown
    assert f"k-{tag}@example.com" not in shown
    assert "Withdrawn" in shown
    sales = client_as(marketing_app, "sales")  # no marketing.consent.view
    with marketing_app.app_context():
        from plugins.customers import services as customers

        session = marketing_app.extensions["crm_db"].new_session()
        own = customers.create_customer(session, name=f"东方电子 {tag}",
                                        owner_id=sales.user.id)
        customers.add_contact(session, own.id, "赵工", email=f"m-{tag}@example.com")
        session.commit()
        own_id = own.id
        session.close()
    page = sales.get(f"/customers/{own_id}")
    assert page.status_code == 200 and "m***@example.com" in page.get_data(as_text=True)
    assert "Marketing consent" not in page.get_data(as_text=True)
