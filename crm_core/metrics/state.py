"""Figures read from the shared stores at scrape time: background jobs, the outbox, recent
failed sign-ins and the newest backup. Each is one small aggregate query."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from flask import Flask
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from ..auth.models import LoginAttempt
from ..db import utcnow
from ..jobs.models import Job
from ..outbox.models import OutboxMessage

RECENT = dt.timedelta(minutes=15)


def _age(now: dt.datetime, moment: dt.datetime | None) -> float:
    if moment is None:
        return 0.0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return max(0.0, (now - moment).total_seconds())


class StateCollector(Collector):
    """Gauges of the instance's shared state."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Iterator[Any]:
        now = utcnow()
        with self.app.extensions["crm_db"].new_session() as session:
            jobs = GaugeMetricFamily("crm_jobs", "Background jobs by state.", labels=["state"])
            oldest_job = GaugeMetricFamily(
                "crm_jobs_oldest_queued_seconds", "Age of the oldest job still queued.")
            rows = session.execute(select(Job.state, func.count(), func.min(Job.created_at))
                                   .where(Job.state.in_(("queued", "running")))
                                   .group_by(Job.state)).all()
            seen = {state: (count, first) for state, count, first in rows}
            for state in ("queued", "running"):
                jobs.add_metric([state], seen.get(state, (0, None))[0])
            oldest_job.add_metric([], _age(now, seen.get("queued", (0, None))[1]))
            yield jobs
            yield oldest_job

            outbox = GaugeMetricFamily("crm_outbox_messages", "Outbox messages not yet sent, "
                                       "by status.", labels=["status"])
            oldest = GaugeMetricFamily("crm_outbox_oldest_waiting_seconds",
                                       "Age of the oldest message waiting to be sent.")
            rows = session.execute(
                select(OutboxMessage.status, func.count(), func.min(OutboxMessage.created_at))
                .where(OutboxMessage.status.in_(("pending", "sending", "failed", "dead")))
                .group_by(OutboxMessage.status)).all()
            waiting = {status: (count, first) for status, count, first in rows}
            for status in ("pending", "sending", "failed", "dead"):
                outbox.add_metric([status], waiting.get(status, (0, None))[0])
            firsts = [first for status, (_c, first) in waiting.items()
                      if status in ("pending", "failed") and first is not None]
            oldest.add_metric([], _age(now, min(firsts)) if firsts else 0.0)
            yield outbox
            yield oldest

            failed = GaugeMetricFamily("crm_failed_sign_ins_recent",
                                       "Refused sign-ins in the last 15 minutes (every process).")
            failed.add_metric([], session.scalar(
                select(func.count()).select_from(LoginAttempt)
                .where(LoginAttempt.success.is_(False), LoginAttempt.at >= now - RECENT)) or 0)
            yield failed
        yield self._backup_age(now)

    def _backup_age(self, now: dt.datetime) -> Any:
        from ..backup.service import default_folder
        from ..backup.tasks import newest_backup_time

        family = GaugeMetricFamily("crm_backup_age_seconds", "Age of the newest backup in "
                                   "CRM_BACKUP_DIR (-1: there is none).")
        newest = newest_backup_time(default_folder(self.app))
        family.add_metric([], _age(now, newest) if newest else -1.0)
        return family
