"""Scheduled reports end to end: a rep subscribes to a saved report (weekly) and a manager
to a dashboard (monthly); the due run queues one mail per period through the kernel outbox,
a real SMTP server (tests/core/outbox_smtp.py) receives it, and the XLSX attachment, read
back with openpyxl, holds the subscriber's own figures equal to SQL to the fen. A second
run, a reset bookkeeping or the ops command never send a period twice."""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text, update

from crm_core.testing_clients import client_as, csrf_token_of

if "outbox_smtp" not in sys.modules:  # the kernel tests' SMTP server, by its path
    _spec = importlib.util.spec_from_file_location(
        "outbox_smtp", Path(__file__).parents[2] / "core" / "outbox_smtp.py")
    sys.modules["outbox_smtp"] = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(sys.modules["outbox_smtp"])
from outbox_smtp import SmtpServer  # noqa: E402

REVENUE = {"title": "周收入", "source": "sales.orders", "measure": "sum_total",
           "dimensions": ["owner"], "period": "this_year", "chart": "bar"}


@pytest.fixture
def smtp(analytics_app, monkeypatch):
    server = SmtpServer().start()
    monkeypatch.setitem(analytics_app.config, "CRM_SMTP_URL", server.url)
    monkeypatch.setitem(analytics_app.config, "CRM_MAIL_FROM", "CRM <crm@example.com>")
    yield server
    server.stop()


def _get(session, user):
    """The user in ``session`` (``merge`` would write the test's stale copy back)."""
    return session.get(type(user), user.id)


def _session(app):
    return app.extensions["crm_db"].new_session()


def _give_email(app, user, address):
    from crm_core.toolkit import model_for_table

    with app.app_context():
        session = _session(app)
        users = model_for_table("core_user")
        session.execute(update(users).where(users.id == user.id).values(email=address))
        session.commit()
        session.close()


def _sent_to(app, smtp, address, count=1):
    from crm_core.outbox.delivery import drain

    with app.app_context():
        drain()
    smtp.wait_for(count, timeout=10)
    return [message for message in smtp.messages if address in message["To"]]


def _sheet_rows(message):
    from openpyxl import load_workbook

    parts = [part for part in message.iter_attachments()
             if part.get_filename().endswith(".xlsx")]
    assert len(parts) == 1
    book = load_workbook(io.BytesIO(parts[0].get_content()))
    return book, [row for row in book.worksheets[0].iter_rows(values_only=True)]


def _sum(app, owner_id, start, end):
    with app.app_context():
        session = _session(app)
        total = session.execute(text(
            "SELECT coalesce(sum(total_amount), 0) FROM sales_order WHERE status IN "
            "('confirmed','delivered','completed') AND deleted_at IS NULL AND owner_id = :o "
            "AND confirmed_at >= :s AND confirmed_at < :e"),
            {"o": owner_id, "s": start, "e": end}).scalar()
        session.close()
    return (Decimal(total) / 100).quantize(Decimal("0.01"))


def _forget_periods(app, user, last=""):
    """As if the subscriptions were made long ago (the tests travel back to 2026-01), and
    sent ``last``."""
    from plugins.analytics.reports.models import Subscription

    with app.app_context():
        session = _session(app)
        session.execute(update(Subscription).where(Subscription.user_id == user.id)
                        .values(last_period=last))
        session.commit()
        session.close()


def _run(app, day, now=False):
    from crm_core.toolkit import get_session
    from plugins.analytics.reports.subscriptions import send_due

    with app.test_request_context():
        # the app context's session: the outbox queues the mail in it
        return send_due(get_session(), day, now=now)


def test_a_weekly_report_is_mailed_once_with_the_reps_own_figures(analytics_app, world, smtp):
    from plugins.analytics.reports.models import Subscription
    from plugins.analytics.reports.service import create_report
    from plugins.analytics.reports.subscriptions import subscribe

    a1 = world["users"]["a1"]
    _give_email(analytics_app, a1, "a1-weekly@example.com")
    with analytics_app.test_request_context():
        session = _session(analytics_app)
        user = _get(session, a1)
        report = create_report(session, user, REVENUE)
        subscription = subscribe(session, user, report_id=report.id, frequency="weekly",
                                 weekday=0)
        session.commit()
        subscription_id = subscription.id
        session.close()
    _forget_periods(analytics_app, a1)
    # Monday 19 January 2026 sends the week of 12–18 January (a1 confirmed one order on 15)
    assert _run(analytics_app, dt.date(2026, 1, 19))["sent"] >= 1
    mails = _sent_to(analytics_app, smtp, "a1-weekly@example.com")
    assert len(mails) == 1
    mail = mails[0]
    assert "周收入" in mail["Subject"] and "2026-W03" in mail["Subject"]
    assert "2026-01-12" in mail.get_body(("plain",)).get_content()
    _book, rows = _sheet_rows(mail)
    assert rows[0][0] == "周收入"
    expected = _sum(analytics_app, a1.id, "2026-01-11 16:00", "2026-01-18 16:00")
    assert expected > 0
    figures = [row for row in rows[5:] if row[0] and row[1] is not None]
    assert Decimal(str(figures[-1][1])).quantize(Decimal("0.01")) == expected
    # a second run, and a run after the bookkeeping was lost, send nothing more
    _run(analytics_app, dt.date(2026, 1, 19))
    with analytics_app.app_context():
        session = _session(analytics_app)
        session.execute(update(Subscription).where(Subscription.id == subscription_id)
                        .values(last_period=""))
        session.commit()
        session.close()
    _run(analytics_app, dt.date(2026, 1, 21))
    assert len(_sent_to(analytics_app, smtp, "a1-weekly@example.com")) == 1


def test_a_dashboard_subscription_mails_its_reports_monthly(analytics_app, world, smtp):
    from plugins.analytics.dashboards.service import add_tile, create_dashboard
    from plugins.analytics.reports.service import create_report
    from plugins.analytics.reports.subscriptions import subscribe

    b1 = world["users"]["b1"]
    _give_email(analytics_app, b1, "b1-monthly@example.com")
    with analytics_app.test_request_context():
        session = _session(analytics_app)
        user = _get(session, b1)
        dashboard = create_dashboard(session, user=user, name="我的月报")
        for title in ("月收入 1", "月收入 2"):
            report = create_report(session, user, {**REVENUE, "title": title})
            add_tile(session, dashboard_id=dashboard.id, kind="report", ref=str(report.id),
                     user=user)
        subscribe(session, user, dashboard_id=dashboard.id, frequency="monthly", day=3)
        session.commit()
        session.close()
    _forget_periods(analytics_app, b1, "2025-12")  # December went out on 3 January
    _run(analytics_app, dt.date(2026, 2, 2))  # before the 3rd: January is not due yet
    _run(analytics_app, dt.date(2026, 2, 3))
    mails = _sent_to(analytics_app, smtp, "b1-monthly@example.com")
    assert len(mails) == 1 and "2026-01" in mails[0]["Subject"]
    book, rows = _sheet_rows(mails[0])
    assert [sheet.title for sheet in book.worksheets] == ["月收入 1", "月收入 2"]
    expected = _sum(analytics_app, b1.id, "2025-12-31 16:00", "2026-01-31 16:00")
    figures = [row for row in rows[5:] if row[0] and row[1] is not None]
    assert Decimal(str(figures[-1][1])).quantize(Decimal("0.01")) == expected


def test_the_ops_command_sends_the_last_ended_period_now(analytics_app, world, smtp):
    from plugins.analytics.reports.service import create_report
    from plugins.analytics.reports.subscriptions import subscribe

    a2 = world["users"]["a2"]
    _give_email(analytics_app, a2, "a2-now@example.com")
    with analytics_app.test_request_context():
        session = _session(analytics_app)
        user = _get(session, a2)
        report = create_report(session, user, {**REVENUE, "title": "立即"})
        subscribe(session, user, report_id=report.id, frequency="monthly", day=28)
        session.commit()
        session.close()
    _forget_periods(analytics_app, a2)
    result = analytics_app.test_cli_runner().invoke(args=["analytics", "send-scheduled",
                                                          "--now"])
    assert result.exit_code == 0, result.output
    assert "queued" in result.output
    mails = _sent_to(analytics_app, smtp, "a2-now@example.com")
    with analytics_app.app_context():
        from plugins.analytics.reports.service import today

        last_month = (today().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    assert len(mails) == 1 and last_month in mails[0]["Subject"]


def test_the_subscriptions_page_adds_and_ends_one(analytics_app, world):
    from plugins.analytics.reports.service import create_report

    client = client_as(analytics_app, "sales", department="分析 A部")
    with analytics_app.test_request_context():
        session = _session(analytics_app)
        report = create_report(session, _get(session, client.user), {**REVENUE,
                                                                      "title": "订阅我"})
        session.commit()
        report_id = report.id
        session.close()
    page = client.get(f"/analytics/subscriptions?report_id={report_id}")
    assert page.status_code == 200 and "订阅我" in page.get_data(as_text=True)
    token = csrf_token_of(client, "/analytics/subscriptions")
    added = client.post("/analytics/subscriptions", data={
        "csrf_token": token, "target": f"report:{report_id}", "frequency": "weekly",
        "weekday": "4", "day": "1"})
    assert added.status_code == 302
    html = client.get("/analytics/subscriptions").get_data(as_text=True)
    assert "Friday" in html or "星期五" in html
    bad = client.post("/analytics/subscriptions", data={
        "csrf_token": token, "target": "report:999999", "frequency": "weekly",
        "weekday": "9", "day": "1"})
    assert bad.status_code == 422
    from plugins.analytics.reports.models import Subscription

    with analytics_app.app_context():
        session = _session(analytics_app)
        ids = [s.id for s in session.query(Subscription).filter_by(user_id=client.user.id)]
        session.close()
    stranger = client_as(analytics_app, "sales", department="分析 B部")
    other_token = csrf_token_of(stranger, "/analytics/subscriptions")
    assert stranger.post(f"/analytics/subscriptions/{ids[0]}/delete",
                         data={"csrf_token": other_token}).status_code == 404
    assert client.post(f"/analytics/subscriptions/{ids[0]}/delete",
                       data={"csrf_token": token}).status_code == 302
