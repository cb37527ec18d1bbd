"""Scheduled reports' page, beat task and command (a part: ``blueprints()``,
``celery_tasks()``, ``beat_schedule()``, ``cli_commands()``): ``/analytics/subscriptions``
lists my subscriptions and adds one (a saved report or a dashboard, weekly on a weekday or
monthly on a day); the beat task ``analytics.send_scheduled`` queues what is due every hour;
``crm analytics send-scheduled [--now]`` does the same for ops."""

from __future__ import annotations

from typing import Any

import click
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField
from wtforms.validators import DataRequired

from crm_core.toolkit import (
    DomainError,
    ScheduleEntry,
    TaskSpec,
    db,
    get_session,
    require_permission,
)

from ..permissions import VIEW
from . import service, subscriptions
from .models import Subscription
from .views import own_data

bp = Blueprint("analytics_schedules", __name__, template_folder="templates")
WEEKDAYS = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"),
            _l("Saturday"), _l("Sunday"))
FREQUENCY_LABELS = {"weekly": _l("Weekly"), "monthly": _l("Monthly")}


def blueprints() -> list[Blueprint]:
    """The subscriptions page's blueprint."""
    return [bp]


class SubscriptionForm(FlaskForm):
    """Subscribe to a report or a dashboard, weekly or monthly."""

    target = SelectField(_l("Report or dashboard"), validators=[DataRequired()])
    frequency = SelectField(_l("How often"), default="weekly",
                            choices=[SelectChoice(k, v) for k, v in FREQUENCY_LABELS.items()])
    weekday = SelectField(_l("Weekday (weekly)"), coerce=int, default=0,
                          choices=[SelectChoice(i, day) for i, day in enumerate(WEEKDAYS)])
    day = SelectField(_l("Day of the month (monthly)"), coerce=int, default=1,
                      choices=[SelectChoice(i, str(i)) for i in range(1, 29)])


def _targets(session: Any, user: Any) -> list[tuple[str, str]]:
    options = [(f"report:{report.id}", _("Report: %(title)s", title=report.title))
               for report in service.visible_reports(session, user)]
    try:
        from ..dashboards import service as dashboards
    except ImportError:  # pragma: no cover - the dashboards part is optional
        return options
    return options + [(f"dashboard:{item.id}", _("Dashboard: %(name)s", name=item.name))
                      for item in dashboards.user_dashboards(session, user)]


def _form(session: Any, user: Any) -> SubscriptionForm:
    form = SubscriptionForm()
    form.target.choices = [SelectChoice(value, label) for value, label in
                           _targets(session, user)]
    if request.method == "GET" and request.args.get("report_id", "").isdigit():
        form.target.data = f"report:{request.args['report_id']}"
    if request.method == "GET" and request.args.get("dashboard_id", "").isdigit():
        form.target.data = f"dashboard:{request.args['dashboard_id']}"
    return form


def _describe(session: Any, subscription: Subscription) -> dict[str, Any]:
    when = _("every %(day)s", day=WEEKDAYS[subscription.weekday]) \
        if subscription.frequency == "weekly" else \
        _("on day %(day)d of each month", day=subscription.day)
    title = subscriptions._title(session, subscription)  # noqa: SLF001
    kind = _("Report") if subscription.report_id is not None else _("Dashboard")
    return {"id": subscription.id, "kind": kind, "title": title, "when": when,
            "frequency": FREQUENCY_LABELS[subscription.frequency],
            "last_period": subscription.last_period,
            "url": url_for("analytics_reports.show", report_id=subscription.report_id)
            if subscription.report_id else None}


@bp.route("/analytics/subscriptions", methods=("GET", "POST"))
@require_permission(VIEW)
@own_data
def index() -> Any:
    """My scheduled reports, and a form to add one."""
    session = get_session()
    user = current_user._get_current_object()  # noqa: SLF001
    form = _form(session, user)
    status = 200
    if request.method == "POST":
        if form.validate():
            kind, _sep, ident = form.target.data.partition(":")
            try:
                subscriptions.subscribe(
                    session, user, report_id=int(ident) if kind == "report" else None,
                    dashboard_id=int(ident) if kind == "dashboard" else None,
                    frequency=form.frequency.data, weekday=form.weekday.data,
                    day=form.day.data)
            except DomainError as error:
                form.form_errors.append(str(error))
                status = 422
            else:
                session.commit()
                flash(_("Subscribed. The first mail comes on the next sending day."),
                      "success")
                return redirect(url_for(".index"))
        else:
            status = 422
    rows = [_describe(session, item) for item in subscriptions.list_subscriptions(session, user)]
    return render_template("analytics/reports/subscriptions.html", form=form, rows=rows,
                           has_email=bool(user.email)), status


@bp.post("/analytics/subscriptions/<int:subscription_id>/delete")
@require_permission(VIEW)
@own_data
def delete(subscription_id: int) -> Any:
    """End one of my subscriptions."""
    session = get_session()
    subscriptions.unsubscribe(session, subscription_id,
                              current_user._get_current_object())  # noqa: SLF001
    session.commit()
    flash(_("Subscription ended."), "success")
    return redirect(url_for(".index"))


def send_scheduled_task(now: bool = False) -> str:
    """The beat's run: queue every due subscription's mail."""
    counts = subscriptions.send_due(db.session, now=now)
    return f"Scheduled reports: {counts['sent']} queued, {counts['skipped']} skipped"


def celery_tasks() -> list[TaskSpec]:
    """``analytics.send_scheduled``."""
    return [TaskSpec("send_scheduled", send_scheduled_task)]


def beat_schedule() -> list[ScheduleEntry]:
    """Hourly at :05 (a missed hour catches up: each period is sent once)."""
    return [ScheduleEntry("send_scheduled", "send_scheduled", crontab="5 * * * *")]


@click.command("send-scheduled")
@click.option("--now", is_flag=True,
              help="Send each subscription's last ended period, whatever its sending day.")
def send_scheduled_command(now: bool) -> None:
    """Queue the e-mails of the scheduled reports that are due (each period once)."""
    click.echo(send_scheduled_task(now=now) + ".")


def cli_commands() -> list[Any]:
    """``crm analytics send-scheduled``."""
    return [send_scheduled_command]
