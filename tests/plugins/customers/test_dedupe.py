"""Likely duplicates: the same customer typed differently (full-width, suffixes, phone formats,
upper-case email, USCC, pinyin) is found with its reasons, only within the user's scope; the
form's warning partial and the possible-duplicates page show them."""

from __future__ import annotations

import re

from customers_testing import add_user, app_session, client_for
from sqlalchemy import select

from crm_core.rbac.departments import create_department
from plugins.customers import services
from plugins.customers.duplicates import services as dedupe
from plugins.customers.duplicates.services import duplicate_groups, find_likely_duplicates
from plugins.customers.models import Customer
from plugins.customers.validation import uscc_check_char

USCC = "91110108MA01C3XK5" + uscc_check_char("91110108MA01C3XK5")


def found(session, **query):
    """``{customer name: reasons}`` of the likely duplicates of ``query``."""
    return {customer.name: reasons
            for customer, reasons in find_likely_duplicates(session, **query)}


def test_full_width_upper_case_name_with_a_suffix_finds_the_plain_name(session):
    services.create_customer(session, name="acme")
    services.create_customer(session, name="Globex")
    assert found(session, name="ＡＣＭＥ有限公司") == {"acme": ["same name"]}
    assert found(session, name="ACME Co., Ltd.") == {"acme": ["same name"]}


def test_a_chinese_company_suffix_is_ignored_and_homophones_match_by_pinyin(session):
    services.create_customer(session, name="北京华宇科技")
    assert found(session, name="北京华宇科技有限公司") == {"北京华宇科技": ["same name"]}
    # 语 and 宇 are both "yu": a different name that sounds the same.
    assert found(session, name="北京华语科技有限公司") == {"北京华宇科技": ["same pinyin"]}
    assert found(session, name="上海华宇科技") == {}


def test_the_same_phone_typed_in_another_format_is_found(session):
    services.create_customer(session, name="Mobile Ltd", phones="13812345678")
    services.create_customer(session, name="Landline Ltd", phones="010-12345678 转 123")
    assert found(session, name="x", phones="+86 138-1234-5678") == {"Mobile Ltd": ["same phone"]}
    assert found(session, name="x", phones=["(010) 1234 5678 ext 123"]) == {
        "Landline Ltd": ["same phone"]}
    # The stored form (with ";ext=") is accepted too, and a bad number is simply no match.
    assert found(session, name="x", phones="+861012345678;ext=123\n12345") == {
        "Landline Ltd": ["same phone"]}


def test_the_same_email_in_upper_case_and_the_same_uscc_are_found(session):
    services.create_customer(session, name="Mail Co", emails="sales@acme.example")
    services.create_customer(session, name="Credit Co", uscc=USCC)
    assert found(session, name="x", emails="SALES@ACME.EXAMPLE") == {"Mail Co": ["same email"]}
    assert found(session, name="x", uscc=USCC.lower()) == {"Credit Co": ["same USCC"]}
    assert found(session, name="x", uscc="91350100M000100Y44") == {}  # bad check digit


def test_hits_are_ranked_by_their_reasons_and_carry_each_reason(session):
    name_only = services.create_customer(session, name="ACME 有限公司")
    both = services.create_customer(session, name="acme", phones="13812345678",
                                    emails="a@acme.example")
    hits = find_likely_duplicates(session, name="ACME", phones=["13812345678"],
                                  emails="A@acme.example")
    assert [(customer.id, reasons) for customer, reasons in hits] == [
        (both.id, ["same phone", "same email", "same name"]), (name_only.id, ["same name"])]
    assert len(find_likely_duplicates(session, name="ACME", limit=1)) == 1


def test_the_trash_and_the_customer_being_edited_are_left_out(session):
    kept = services.create_customer(session, name="ACME", phones="13812345678")
    gone = services.create_customer(session, name="ACME Inc.")
    services.delete_customer(session, gone.id)
    assert found(session, name="ACME") == {"ACME": ["same name"]}
    assert found(session, name="ACME", phones="13812345678", exclude_id=kept.id) == {}


def test_a_user_is_warned_only_of_customers_in_their_scope(customers_app, session):
    team_a = create_department(session, "Team A").id
    team_b = create_department(session, "Team B").id
    session.commit()
    sally = add_user(customers_app, session, "sally", ["sales"], team_a)
    bob = add_user(customers_app, session, "bob", ["sales"], team_b)
    services.create_customer(session, name="ACME", owner_id=bob, department_id=team_b)
    session.commit()
    assert found(session, name="acme", user=sally) == {}
    assert found(session, name="acme", user=bob) == {"ACME": ["same name"]}


def test_the_check_partial_warns_with_links_and_reasons_or_says_nothing(customers_app):
    with app_session(customers_app) as session:
        viewer = add_user(customers_app, session, "vic", ["viewer"])
        root = add_user(customers_app, session, "root", [], superuser=True)
        nobody = add_user(customers_app, session, "nobody", [])
        customer = services.create_customer(session, name="北京华宇科技", phones="13812345678")
        code = customer.code
    client = client_for(customers_app, root)

    response = client.get("/customers/duplicates/check", query_string={
        "name": "北京华宇科技有限公司", "phones": "+86 138 1234 5678", "uscc": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "alert-warning" in html and "北京华宇科技" in html and code in html
    assert "same phone" in html and "same name" in html

    editing = client.get("/customers/duplicates/check", query_string={
        "name": "北京华宇科技", "exclude_id": customer.id})
    assert editing.status_code == 200 and editing.get_data(as_text=True).strip() == ""
    # Editing another record of the same company: a merge button for those who may merge.
    with app_session(customers_app) as session:
        twin = services.create_customer(session, name="北京华宇科技有限公司").id
    editing = client.get("/customers/duplicates/check", query_string={
        "name": "北京华宇科技有限公司", "exclude_id": twin}).get_data(as_text=True)
    assert f"/customers/merge?ids={twin}&amp;ids={customer.id}" in editing

    # A viewer (view permission) gets the partial, but sees only their scope: nothing here.
    answer = client_for(customers_app, viewer).get("/customers/duplicates/check?name=北京华宇科技")
    assert answer.status_code == 200 and answer.get_data(as_text=True).strip() == ""
    refused = client_for(customers_app, nobody).get("/customers/duplicates/check?name=x")
    assert refused.status_code == 403


def test_duplicate_groups_come_one_keyset_page_at_a_time_within_scope(customers_app, session):
    team_a = create_department(session, "Team A").id
    team_b = create_department(session, "Team B").id
    session.commit()
    mia = add_user(customers_app, session, "mia", ["manager"], team_a)
    bob = add_user(customers_app, session, "bob", ["sales"], team_b)
    root = add_user(customers_app, session, "root", [], superuser=True)
    # A customer is in its owner's department.
    for name, phone, owner in [("ACME", "13800000001", mia),
                               ("ACME Co., Ltd.", "13800000002", mia),
                               ("Globex", "13800000001", mia),
                               ("globex inc", "13800000003", bob),
                               ("Initech", "13800000004", mia)]:
        services.create_customer(session, name=name, phones=phone, owner_id=owner)
    session.commit()

    first, cursor = duplicate_groups(session, "name", user=root, limit=1)
    assert [(g.key, g.count, [c.name for c in g.customers]) for g in first] == [
        ("acme", 2, ["ACME", "ACME Co., Ltd."])]
    second, cursor = duplicate_groups(session, "name", user=root, cursor=cursor, limit=1)
    assert [(g.key, g.count) for g in second] == [("globex", 2)]
    # A full page cannot know that nothing follows: the next one says so.
    assert duplicate_groups(session, "name", user=root, cursor=cursor, limit=1) == ([], None)

    # Mia (manager of team A) does not see the team B Globex: no name group for it.
    assert [g.key for g in duplicate_groups(session, "name", user=mia)[0]] == ["acme"]
    phones, _ = duplicate_groups(session, "phone", user=mia)
    assert [(g.key, [c.name for c in g.customers]) for g in phones] == [
        ("+8613800000001", ["ACME", "Globex"])]
    assert duplicate_groups(session, "email", user=root) == ([], None)
    # A customer in the trash no longer makes a group.
    acme = session.scalar(select(Customer).where(Customer.name == "ACME"))
    services.delete_customer(session, acme.id)
    assert [g.key for g in duplicate_groups(session, "name", user=root)[0]] == ["globex"]


def test_pages_read_the_index_in_windows_and_find_every_group_once(session, monkeypatch):
    # Tiny windows so that groups straddle them: the keys in order are
    # a a | a b c | d d d | d e f | f (windows of 3, two windows a page).
    monkeypatch.setattr(dedupe, "WINDOW", 3)
    monkeypatch.setattr(dedupe, "MAX_WINDOWS", 2)
    for name in ["a", "a", "a", "b", "c", "d", "d", "d", "d", "e", "f", "f"]:
        services.create_customer(session, name=f"{name}{name}{name}")
    seen, cursor, pages = [], None, 0
    while True:
        groups, cursor = duplicate_groups(session, "name", user=None, cursor=cursor, limit=2)
        seen += [(group.key, group.count) for group in groups]
        pages += 1
        if cursor is None:
            break
    assert seen == [("aaa", 3), ("ddd", 4), ("fff", 2)]
    assert pages >= 3  # bounded pages, some of them with fewer groups than the limit


def test_the_duplicates_page_shows_groups_by_tab_with_merge_links(customers_app):
    with app_session(customers_app) as session:
        team_a = create_department(session, "Team A").id
        session.commit()  # before another connection adds the users
        mia = add_user(customers_app, session, "mia", ["manager"], team_a)
        sally = add_user(customers_app, session, "sally", ["sales"], team_a)
        one = services.create_customer(session, name="ACME", emails="x@acme.example",
                                       owner_id=sally).id
        two = services.create_customer(session, name="ACME Ltd", emails="X@ACME.example",
                                       owner_id=sally).id
    client = client_for(customers_app, mia)

    page = client.get("/customers/duplicates?kind=email")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'href="/customers/duplicates"' in html  # the menu item
    assert "x@acme.example" in html and "2 customers" in html
    assert f"/customers/merge?ids={one}&amp;ids={two}" in html
    assert "No possible duplicates" in client.get(
        "/customers/duplicates?kind=pinyin").get_data(as_text=True)

    sales = client_for(customers_app, sally)
    assert sales.get("/customers/duplicates").status_code == 403
    assert 'href="/customers/duplicates"' not in sales.get(
        "/customers/duplicates/check").get_data(as_text=True)


def test_an_unknown_tab_falls_back_to_phones(customers_app):
    with app_session(customers_app) as session:
        root = add_user(customers_app, session, "root", [], superuser=True)
    client = client_for(customers_app, root)
    for kind in ("sideways", ""):
        html = client.get(f"/customers/duplicates?kind={kind}").get_data(as_text=True)
        assert re.search(r'class="nav-link[^"]* active"[^>]*\s+href="[^"]*kind=phone"', html)
