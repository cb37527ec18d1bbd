"""Scheduled reports: a user's subscriptions to a saved report or a dashboard's reports,
e-mailed weekly or monthly through the kernel outbox with an XLSX attachment.

A weekly subscription sends, on its weekday, the full week (Monday to Sunday) before that
day's week; a monthly one sends, on its day (1–28), the month before. Days are the company's
(``query.business_zone``). Each (subscription, period) is queued once: the outbox's
idempotency key is ``analytics-sub-<id>-<period>``, so a second beat, a retried task or
``crm analytics send-scheduled`` never sends a period twice. Reports run as the subscriber:
the mail holds their figures only.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import INT32_MAX, DomainError, model_for_table, send_mail

from . import service
from .models import FREQUENCIES, Subscription
from .tables import pivot, workbook

log = logging.getLogger(__name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_SUBSCRIPTIONS = 50  # per user
SUMMARY_ROWS = 5


class SubscriptionNotFound(DomainError):
    """No such subscription of this user (404)."""

    status = 404


def list_subscriptions(session: Session, user: Any) -> list[Subscription]:
    """The user's subscriptions, oldest first."""
    return list(session.scalars(select(Subscription).where(Subscription.user_id == user.id)
                                .order_by(Subscription.id)))


def _dashboards() -> Any:
    try:
        from ..dashboards import service as dashboards
    except ImportError:  # pragma: no cover - the dashboards part is optional
        return None
    return dashboards


def period_of(subscription: Subscription, day: dt.date, now: bool = False
              ) -> tuple[str, dt.date, dt.date]:
    """``(key, first day, last day)`` of the period a subscription sends as of ``day``:
    the last one whose sending day has come (``now``: the last one that has ended, whatever
    the weekday or day of the month)."""
    if subscription.frequency == "monthly":
        sent_on = day if now or day.day >= subscription.day else \
            (day.replace(day=1) - dt.timedelta(days=1))
        end = sent_on.replace(day=1) - dt.timedelta(days=1)
        start = end.replace(day=1)
        return start.strftime("%Y-%m"), start, end
    sent_on = day if now else day - dt.timedelta(days=(day.weekday() - subscription.weekday) % 7)
    start = sent_on - dt.timedelta(days=sent_on.weekday() + 7)
    year, week, _weekday = start.isocalendar()
    return f"{year:04d}-W{week:02d}", start, start + dt.timedelta(days=6)


def subscribe(session: Session, user: Any, *, report_id: Any = None, dashboard_id: Any = None,
              frequency: str = "weekly", weekday: Any = 0, day: Any = 1) -> Subscription:
    """Subscribe ``user`` to a saved report or a dashboard they may see. The first mail comes
    on the next sending day (the period that has just passed is not sent at once)."""
    if (report_id is None) == (dashboard_id is None):
        raise DomainError(_("Choose a report or a dashboard."))
    if frequency not in FREQUENCIES:
        raise DomainError(_("Choose weekly or monthly."))
    if not isinstance(weekday, int) or isinstance(weekday, bool) or not 0 <= weekday <= 6:
        raise DomainError(_("Choose a weekday."))
    if not isinstance(day, int) or isinstance(day, bool) or not 1 <= day <= 28:
        raise DomainError(_("Choose a day of the month from 1 to 28."))
    if report_id is not None:
        service.get_report(session, report_id, user)
    else:
        dashboards = _dashboards()
        if dashboards is None:
            raise DomainError(_("Dashboards are not available."))
        dashboards.get_dashboard(session, dashboard_id, user)
    count = len(list_subscriptions(session, user))
    if count >= MAX_SUBSCRIPTIONS:
        raise DomainError(_("You have %(n)d subscriptions, the most one may have.",
                            n=MAX_SUBSCRIPTIONS))
    subscription = Subscription(user_id=user.id, report_id=report_id,
                                dashboard_id=dashboard_id, frequency=frequency,
                                weekday=weekday, day=day)
    subscription.last_period = period_of(subscription, service.today())[0]
    session.add(subscription)
    session.flush()
    return subscription


def unsubscribe(session: Session, subscription_id: Any, user: Any) -> None:
    """End one of ``user``'s subscriptions."""
    subscription = session.get(Subscription, subscription_id) \
        if isinstance(subscription_id, int) and 0 < subscription_id <= INT32_MAX else None
    if subscription is None or subscription.user_id != user.id:
        raise SubscriptionNotFound(_("There is no such subscription."))
    session.delete(subscription)
    session.flush()


def _report_ids(session: Session, subscription: Subscription, user: Any) -> list[int] | None:
    """The reports a subscription sends (None: its dashboard is gone or no longer shown)."""
    if subscription.report_id is not None:
        return [subscription.report_id]
    dashboards = _dashboards()
    if dashboards is None:
        return None
    try:
        dashboards.get_dashboard(session, subscription.dashboard_id, user)
    except DomainError:
        return None
    return dashboards.dashboard_report_ids(session, subscription.dashboard_id)


def _summary(answer: dict[str, Any]) -> list[str]:
    if answer["notice"]:
        return [answer["notice"]]
    table = pivot(answer)
    if not table["rows"]:
        return [_("Nothing in this period.")]
    lines = []
    if table["total"] is not None:
        lines.append(_("Total: %(total)s", total=table["total"]))
    for row in table["rows"][:SUMMARY_ROWS]:
        figure = row["total"] if row["total"] is not None else row["cells"][0]
        lines.append(f"{row['label']}: {figure if figure is not None else '—'}")
    if len(table["rows"]) > SUMMARY_ROWS:
        lines.append(_("… and %(n)d more rows in the attachment.",
                       n=len(table["rows"]) - SUMMARY_ROWS))
    return lines


def _title(session: Session, subscription: Subscription) -> str:
    if subscription.report_id is not None:
        report = session.get(service.SavedReport, subscription.report_id)
        return report.title if report else "?"
    from ..dashboards.models import Dashboard

    dashboard = session.get(Dashboard, subscription.dashboard_id)
    return dashboard.name if dashboard else "?"


def deliver(session: Session, subscription: Subscription, key: str, start: dt.date,
            end: dt.date) -> bool:
    """Queue the mail of one subscription's period (once: the outbox key); whether it was
    queued (False: no address, or nothing left to send). The caller commits."""
    user = session.get(model_for_table("core_user"), subscription.user_id)
    if user is None or not user.is_active or not user.email:
        return False
    report_ids = _report_ids(session, subscription, user)
    if report_ids is None:
        return False
    locale = user.locale or current_app.config.get("BABEL_DEFAULT_LOCALE") or "en"
    with force_locale(locale):
        answers = []
        for report_id in report_ids:
            try:
                answers.append(service.run_report(session, report_id, user,
                                                  date_from=start.isoformat(),
                                                  date_to=end.isoformat()))
            except service.ReportNotFound:
                continue  # no longer shared with them: left out, never shown
        if not answers:
            return False
        title = _title(session, subscription)
        kind = _("Weekly report") if subscription.frequency == "weekly" else _("Monthly report")
        subject = f"{kind}: {title} ({key})"
        period = _("From %(start)s to %(end)s", start=start.isoformat(), end=end.isoformat())
        text_parts = [subject, period, ""]
        html_parts = [f"<h2>{escape(subject)}</h2><p>{escape(period)}</p>"]
        for answer in answers:
            lines = _summary(answer)
            text_parts += [answer["title"], *(f"  {line}" for line in lines), ""]
            html_parts.append(f"<h3>{escape(answer['title'])}</h3><ul>"
                              + "".join(f"<li>{escape(line)}</li>" for line in lines)
                              + "</ul>")
        footer = _("The figures are yours: they follow your data scope. The attachment holds "
                   "every row.")
        text_parts.append(footer)
        html_parts.append(f"<p>{escape(footer)}</p>")
        attachment = (f"report-{key}.xlsx", XLSX, workbook(answers))
        send_mail(user.email, subject, "\n".join(text_parts), "".join(html_parts),
                  idempotency_key=f"analytics-sub-{subscription.id}-{key}",
                  attachments=[attachment])
    return True


def send_due(session: Session, day: dt.date | None = None, *, now: bool = False
             ) -> dict[str, int]:
    """Queue every subscription's mail that is due as of ``day`` (today by default; ``now``:
    the last ended period of each, whatever its sending day) and commit after each one.
    ``{"sent": n, "skipped": n}``; one failing subscription is logged, not fatal.
    ``session`` is the app context's (``get_session()``): the outbox queues mail in it."""
    from crm_core.toolkit import system_context

    day = day or service.today()
    counts = {"sent": 0, "skipped": 0}
    ids = list(session.scalars(select(Subscription.id).order_by(Subscription.id)))
    for subscription_id in ids:
        subscription = session.get(Subscription, subscription_id)
        if subscription is None:
            continue
        key, start, end = period_of(subscription, day, now)
        if subscription.last_period and key <= subscription.last_period:
            continue  # each period once, never an older one (the outbox's key backs it)
        try:
            # the reports run as the subscriber, outside the system context: that context
            # lifts the data scope, so only the bookkeeping below is done in it
            sent = deliver(session, subscription, key, start, end)
            with system_context("Scheduled reports"):
                subscription.last_period = key
                session.commit()
        except Exception:  # one bad subscription never stops the others
            session.rollback()
            log.exception("analytics: subscription %s could not be sent", subscription_id)
            sent = False
        counts["sent" if sent else "skipped"] += 1
    return counts
