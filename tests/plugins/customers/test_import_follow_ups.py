"""Another system's follow-up columns (最后跟进时间, 下次跟进时间, 跟进记录) come in with a new
customer as one contact record: the follow-up badge, 我的待跟进 and the timeline show them."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from test_import_runs import last_json, run

from crm_core.db import get_session
from crm_core.testing import DATABASES, create_test_user
from plugins.customers.models import ContactRecord, Customer
from plugins.customers.records.followups import due_follow_ups


@pytest.mark.parametrize("database", DATABASES)
def test_follow_up_columns_become_a_contact_record_of_each_new_customer(crm_make_app, database,
                                                                        tmp_path):
    customers_app = crm_make_app(plugins=["customers"], database=database)
    with customers_app.app_context():
        rep = create_test_user(customers_app, "lina")
        rep_id = rep.id
    path = tmp_path / "wukong-export.csv"
    path.write_text(
        "客户名称,负责人,最后跟进时间,下次跟进时间,跟进记录\n"
        "甲公司,lina,2026-11-20 15:30,2026-11-27,报价已发，等回复\n"  # overdue
        "乙公司,lina,,2099-01-05,\n"                                  # only a next day
        "丙公司,lina,2026/10/8,,已签约\n"                              # no next day
        "丁公司,lina,,,\n"                                             # none: no record
        "戊公司,lina,2026-13-01,,\n"                                   # not a day
        "己公司,lina,2199-01-01,,\n", encoding="utf-8")                # not passed yet
    result = run(customers_app, path, "--json")
    assert (last_json(result)["created"], last_json(result)["failed"]) == (4, 2)
    with open(last_json(result)["error_report"], encoding="utf-8-sig") as handle:
        reasons = handle.read()
    assert "2026-13-01 is no day of the calendar." in reasons
    assert "Enter a day between 1900 and today." in reasons
    with customers_app.app_context():
        session = get_session()
        customers = {customer.name: customer for customer in session.scalars(select(Customer))}
        records = {customers_name: record for record in session.scalars(select(ContactRecord))
                   for customers_name, customer in customers.items()
                   if customer.id == record.customer_id}
        assert set(records) == {"甲公司", "乙公司", "丙公司"}
        first = records["甲公司"]
        assert (first.kind, first.content, first.user_id, first.next_follow_up) == (
            "other", "报价已发，等回复", rep_id, dt.date(2026, 11, 27))
        # 15:30 where the importer is (the command line: the app's zone, Asia/Shanghai)
        assert first.occurred_at.replace(tzinfo=dt.UTC) == dt.datetime(2026, 11, 20, 7, 30,
                                                                       tzinfo=dt.UTC)
        assert records["乙公司"].content == "Follow-up taken over from the imported file."
        assert records["丙公司"].next_follow_up is None
        first_customer = customers["甲公司"]
        assert (first_customer.follow_up_on, first_customer.follow_up_by) == (
            dt.date(2026, 11, 27), rep_id)
        assert first_customer.last_contact_at.replace(tzinfo=dt.UTC) == first.occurred_at \
            .replace(tzinfo=dt.UTC)
        assert customers["丁公司"].last_contact_at is None
        due = due_follow_ups(session, user=session.get(type(rep), rep_id),
                             today=dt.date(2026, 12, 7))
        assert [customer.name for _record, customer in due] == ["甲公司"]


def test_an_update_leaves_the_customers_follow_ups_alone(customers_app, tmp_path):
    path = tmp_path / "first.csv"
    path.write_text("客户名称,客户编码\n甲公司,K1\n", encoding="utf-8")
    assert last_json(run(customers_app, path, "--json"))["created"] == 1
    again = tmp_path / "again.csv"
    again.write_text("客户名称,客户编码,下次跟进时间\n甲公司新名,K1,2027-01-05\n", encoding="utf-8")
    assert last_json(run(customers_app, again, "--json", "--mode", "upsert"))["updated"] == 1
    with customers_app.app_context():
        session = get_session()
        assert session.scalar(select(Customer.name)) == "甲公司新名"
        assert session.scalar(select(Customer.follow_up_on)) is None
        assert session.scalars(select(ContactRecord)).all() == []


def test_dates_written_compact_or_as_excel_serial_numbers_are_read(customers_app, tmp_path):
    # An ERP writes 20210305; a date cell saved unformatted into a CSV is Excel's day number.
    path = tmp_path / "dates.csv"
    path.write_text("客户名称,创建时间,下次跟进时间\n甲,20210305,44265\n乙,44260.5,20270105\n"
                    "丙,20211305,\n", encoding="utf-8")
    result = run(customers_app, path, "--json")
    assert (last_json(result)["created"], last_json(result)["failed"]) == (2, 1)
    shanghai = dt.timezone(dt.timedelta(hours=8))  # the command line's zone
    with customers_app.app_context():
        found = {name: (created.replace(tzinfo=dt.UTC).astimezone(shanghai), follow_up)
                 for name, created, follow_up in get_session().execute(
                     select(Customer.name, Customer.created_at, Customer.follow_up_on))}
    assert found == {"甲": (dt.datetime(2021, 3, 5, tzinfo=shanghai), dt.date(2021, 3, 10)),
                     "乙": (dt.datetime(2021, 3, 5, 12, tzinfo=shanghai),
                           dt.date(2027, 1, 5))}
