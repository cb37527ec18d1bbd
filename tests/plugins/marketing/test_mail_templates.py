"""A campaign's e-mail template: a syntax error or an unknown merge field is refused at save
with its line (a form error and a 422 problem+json); unsafe HTML is removed, CSS inlined and
a text part made; the editor previews the mail in a sandboxed iframe; a test mail goes to
the signed-in user; the send page asks to confirm."""

from __future__ import annotations

from mail_testing import HTML, approved_campaign, drain, people, smtp_sink, to
from marketing_testing import client_as, csrf, unique

from plugins.marketing.mail import render


def test_a_broken_template_is_refused_at_save_with_its_line(marketing_app):
    api = client_as(marketing_app, "marketing", api=True)
    body = {"name": f"坏模板 {unique()}", "type": "email", "budget": "0", "subject": "ok"}
    unknown = api.post("/api/v1/marketing/campaigns",
                       json={**body, "html": "<p>hi</p>\n\n<p>{{ company_name }}</p>"})
    assert unknown.status_code == 422 and unknown.mimetype == "application/problem+json"
    message = " ".join(unknown.get_json()["errors"]["html"])
    assert "3" in message and "company_name" in message
    syntax = api.post("/api/v1/marketing/campaigns",
                      json={**body, "html": "<p>\n{% if contact_name %}hi</p>"})
    assert syntax.status_code == 422 and "2" in " ".join(syntax.get_json()["errors"]["html"])
    subject = api.post("/api/v1/marketing/campaigns", json={**body, "subject": "{{ oops",
                                                            "html": "<p>x</p>"})
    assert subject.status_code == 422 and "subject" in subject.get_json()["errors"]
    escape = api.post("/api/v1/marketing/campaigns", json={
        **body, "html": "{{ email.__class__.__mro__ }}"})
    assert escape.status_code == 422
    fine = api.post("/api/v1/marketing/campaigns", json={**body, "html": HTML})
    assert fine.status_code == 201


def test_rendering_sanitises_inlines_and_makes_a_text_part():
    compiled = render.compile_mail("{{ contact_name|upper }}", (
        "<style>.x { color: red }</style><p class='x'>Hi {{ contact_name }}</p>"
        "<script>alert(1)</script><a href='javascript:alert(1)' onclick='x()'>bad</a>"
        "<a href='https://example.com/p'>good</a>"))
    subject, html, text = render.render(compiled, render.sample_context(
        contact_name="<img src=x onerror=alert(1)>"))
    assert subject == "<IMG SRC=X ONERROR=ALERT(1)>"  # a header: no HTML there
    assert "<script" not in html and "javascript:" not in html and "onclick" not in html
    assert "onerror" not in html.replace("onerror=alert(1)&gt;", "")
    assert 'style="color: red;"' in html and "&lt;img" in html
    assert "[good](https://example.com/p)" in text and "alert" not in text.replace(
        "onerror=alert(1)>", "")


def test_the_editor_saves_previews_and_refuses_with_the_line(marketing_app):
    made = approved_campaign(marketing_app, people(1))
    marketer = client_as(marketing_app, "marketing", department=made["department"])
    campaign_id = made["campaign_id"]
    page = f"/marketing/campaigns/{campaign_id}/mail"
    shown = marketer.get(page)
    assert shown.status_code == 200 and "unsubscribe_url" in shown.get_data(as_text=True)
    token = csrf(marketer, page)
    refused = marketer.post(page, data={"csrf_token": token, "subject": "s",
                                        "html": "a\nb\n{{ nobody }}"})
    assert refused.status_code == 422 and "3" in refused.get_data(as_text=True)
    preview = marketer.post(f"{page}/preview", data={
        "csrf_token": token, "subject": "你好 {{ contact_name }}", "html": HTML})
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200 and 'sandbox=""' in text and "srcdoc=" in text
    assert "尊敬的" in text and "华东制造有限公司" in text
    bad = marketer.post(f"{page}/preview", data={"csrf_token": token, "subject": "x",
                                                 "html": "{% for %}"})
    assert 'id="preview-error"' in bad.get_data(as_text=True)
    saved = marketer.post(page, data={"csrf_token": token, "subject": "新主题",
                                      "html": HTML})
    assert saved.status_code == 302


def test_a_test_mail_goes_to_the_signed_in_user(marketing_app):
    made = approved_campaign(marketing_app, people(1))
    manager = client_as(marketing_app, "manager", department=made["department"])
    address = f"me-{unique()}@example.com"
    with marketing_app.app_context():
        from crm_core.auth.models import User
        session = marketing_app.extensions["crm_db"].new_session()
        session.get(User, manager.user.id).email = address
        session.commit()
        session.close()
    detail = f"/marketing/campaigns/{made['campaign_id']}"
    with smtp_sink(marketing_app) as server:
        sent = manager.post(f"{detail}/mail/test", data={"csrf_token": csrf(manager, detail)})
        assert sent.status_code == 302
        drain(marketing_app)
        got = to(server, {address})
    assert len(got) == 1 and str(got[0]["Subject"]).startswith("[")
    assert "List-Unsubscribe" in got[0]


def test_the_send_page_asks_to_confirm_then_sends(marketing_app):
    made = approved_campaign(marketing_app, people(2))
    manager = client_as(marketing_app, "manager", department=made["department"])
    page = f"/marketing/campaigns/{made['campaign_id']}/send"
    with smtp_sink(marketing_app):
        asked = manager.get(page)
        assert asked.status_code == 200 and 'id="send-confirm"' in asked.get_data(as_text=True)
        detail = manager.get(f"/marketing/campaigns/{made['campaign_id']}")
        assert 'id="mail-send"' in detail.get_data(as_text=True)
        done = manager.post(page, data={"csrf_token": csrf(manager, page), "subject_b": "",
                                        "sample_percent": "20", "metric": "opens"})
        assert done.status_code == 302
        shown = manager.get(f"/marketing/campaigns/{made['campaign_id']}")
        assert 'id="mail-counts"' in shown.get_data(as_text=True)
    viewer = client_as(marketing_app, "viewer", department=made["department"])
    assert viewer.get(page).status_code == 403
