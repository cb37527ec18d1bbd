"""Saved reports as the service layer keeps them: private to the owner unless shared with a
role, run as the reader (a rep's figures are their own in a manager's shared report), a
notice instead of a failure when the source's plugin is off."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select, text

from crm_core.toolkit import model_for_table


def _get(session, user):
    """The user in ``session`` (``merge`` would write the test's stale copy back)."""
    return session.get(type(user), user.id)


def _session(app):
    return app.extensions["crm_db"].new_session()


def _role_id(session, name):
    role = model_for_table("core_role")
    return session.scalar(select(role.id).where(role.name == name))


@pytest.fixture(scope="module")
def shared_report(analytics_app, world):
    """A manager's report of revenue per month, shared with the sales role."""
    from plugins.analytics.reports.service import create_report

    with analytics_app.test_request_context():
        session = _session(analytics_app)
        manager = _get(session, world["users"]["manager"])
        report = create_report(session, manager, {
            "title": "月度收入", "source": "sales.orders", "measure": "sum_total",
            "dimensions": ["month"], "filters": {"date_from": "2026-01-01",
                                                 "date_to": "2026-12-31"},
            "period": "custom", "chart": "bar", "shared": True,
            "role_ids": [_role_id(session, "sales")]})
        session.commit()
        report_id = report.id
        session.close()
    return report_id


def _run(app, user, report_id, **dates):
    from plugins.analytics.reports.service import run_report

    with app.test_request_context():
        session = _session(app)
        try:
            return run_report(session, report_id, _get(session, user), **dates)
        finally:
            session.close()


def test_a_shared_report_shows_each_reader_only_their_own_numbers(analytics_app, world,
                                                                   shared_report):
    a1 = world["users"]["a1"]
    answer = _run(analytics_app, a1, shared_report)
    with analytics_app.app_context():
        session = _session(analytics_app)
        rows = session.execute(text(
            "SELECT substr(CAST(confirmed_at AS TEXT), 1, 7) AS m, sum(total_amount) "
            "FROM sales_order WHERE status IN ('confirmed','delivered','completed') "
            "AND deleted_at IS NULL AND owner_id = :owner GROUP BY m ORDER BY m"),
            {"owner": a1.id}).all()
        session.close()
    assert [(row["month"], row["value"]) for row in answer["rows"]] == \
        [(month, str((Decimal(total) / 100).quantize(Decimal("0.01")))) for month, total in rows]
    assert answer["notice"] is None and answer["chart"] == "bar"
    assert answer["title"] == "月度收入" and answer["dimensions"] == ["month"]


def test_dates_given_to_a_run_replace_the_reports_own(analytics_app, world, shared_report):
    answer = _run(analytics_app, world["users"]["manager"], shared_report,
                  date_from="2026-02-01", date_to="2026-02-28")
    assert [row["month"] for row in answer["rows"]] == ["2026-02"]


def test_a_private_report_is_not_found_for_anyone_else(analytics_app, world):
    from plugins.analytics.reports.service import (
        ReportNotFound,
        create_report,
        visible_reports,
    )

    with analytics_app.test_request_context():
        session = _session(analytics_app)
        b1 = _get(session, world["users"]["b1"])
        report = create_report(session, b1, {
            "title": "我的", "source": "sales.orders", "measure": "count",
            "dimensions": ["owner", "month"], "period": "this_year", "chart": "table"})
        session.commit()
        report_id = report.id
        a1 = _get(session, world["users"]["a1"])
        assert report_id not in [r.id for r in visible_reports(session, a1)]
        assert report_id in [r.id for r in visible_reports(session, b1)]
        session.close()
    with pytest.raises(ReportNotFound) as caught:
        _run(analytics_app, world["users"]["a1"], report_id)
    assert caught.value.status == 404


def test_a_report_whose_source_plugin_is_off_shows_a_notice(analytics_app, world):
    from plugins.analytics.reports.models import SavedReport

    with analytics_app.test_request_context():
        session = _session(analytics_app)
        report = SavedReport(title="旧报表", source="loyalty.points", measure="count",
                             dimensions=["month"], filters={}, period="all", chart="line",
                             owner_id=world["users"]["a2"].id)
        session.add(report)
        session.commit()
        report_id = report.id
        session.close()
    answer = _run(analytics_app, world["users"]["a2"], report_id)
    assert answer["rows"] == [] and "loyalty" in answer["notice"]
