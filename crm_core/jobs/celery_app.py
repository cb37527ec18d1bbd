"""The Celery app each Flask app builds, and the tasks plugins register through it."""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta
from typing import Any

from celery import Celery
from celery.schedules import crontab
from flask import Flask

from ..audit.context import acting_as
from ..errors import ConfigError, RegistryError
from ..plugins import collect
from ..registry import ScheduleEntry, TaskSpec
from .runlock import RunLock
from .service import JobHandle

log = logging.getLogger(__name__)


def make_celery(app: Flask) -> Celery:
    """Build the app's Celery instance (``app.extensions["celery"]``) and register tasks."""
    celery = Celery("crm", set_as_current=False)
    celery.conf.update(
        broker_url=app.config["CRM_BROKER_URL"],
        broker_connection_retry_on_startup=True,
        broker_transport_options=_options(app.config.get("CRM_BROKER_TRANSPORT_OPTIONS")),
        task_ignore_result=True,
        task_default_queue=app.config["CRM_TASK_QUEUE"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        timezone="UTC",
        beat_schedule_filename=app.config["CRM_BEAT_SCHEDULE_FILE"],
        worker_hijack_root_logger=False,
    )
    app.extensions["celery"] = celery
    platform = app.extensions["crm"]
    for plugin, spec in collect(platform.pm, "crm_celery_tasks", celery=celery):
        if not isinstance(spec, TaskSpec):
            raise RegistryError(f"plugin {plugin!r}: crm_celery_tasks returned {spec!r}, "
                                "expected toolkit.TaskSpec")
        name = f"{plugin}.{spec.name}"
        if name in platform.tasks:
            raise RegistryError(f"task {name!r} is registered twice")
        platform.tasks[name] = (plugin, spec)
        celery.task(name=name, shared=False, **spec.options)(_runner(app, spec))
    celery.conf.beat_schedule = _beat_schedule(platform)
    return celery


def _options(value: Any) -> dict[str, Any]:
    """``CRM_BROKER_TRANSPORT_OPTIONS``: a dict, or JSON from the environment
    (``{"visibility_timeout": 3600}``: how long Redis waits for a dead worker's job)."""
    if isinstance(value, str) and value.strip():
        try:
            value = json.loads(value)
        except ValueError:
            raise ConfigError(f"CRM_BROKER_TRANSPORT_OPTIONS is not JSON: {value!r}") from None
    if value and not isinstance(value, dict):
        raise ConfigError(f"CRM_BROKER_TRANSPORT_OPTIONS must be a JSON object: {value!r}")
    return dict(value or {})


def _runner(app: Flask, spec: TaskSpec) -> Any:
    def run(*args: Any, **kwargs: Any) -> Any:
        with app.app_context():
            if not spec.job:
                return spec.func(*args, **kwargs)
            handle = JobHandle(kwargs.pop("job_id"))
            lock = RunLock(handle.id)
            if not lock.acquire():  # a live run holds it: this is a second delivery
                log.warning("job %s is running elsewhere; its message came again and is "
                            "dropped", handle.id, extra={"job_id": handle.id})
                return None
            try:
                if not handle.start():  # done or failed already: a message delivered twice
                    return None
                try:
                    # rows the job writes are logged as written by the user who started it
                    with acting_as(*handle.owner()):
                        message = spec.func(*args, job=handle, **kwargs)
                except Exception as exc:
                    handle.fail(exc)
                    raise
                # a text or a lazy string (``lazy_gettext``) is the job's closing message
                handle.finish(message if isinstance(message, str) or hasattr(message, "_func")
                              else None)
            finally:
                lock.release()
            return None

    run.__name__ = re.sub(r"\W", "_", spec.name)
    run.__doc__ = spec.func.__doc__
    return run


def _cron(plugin: str, entry: ScheduleEntry) -> crontab:
    """A Celery crontab from a Unix cron string: minute hour day-of-month month day-of-week."""
    fields = (entry.crontab or "").split()
    if len(fields) != 5:
        raise RegistryError(f"plugin {plugin!r}: schedule {entry.name!r} needs a cron string "
                            f"of 5 fields (minute hour day month weekday), not {entry.crontab!r}")
    minute, hour, day_of_month, month_of_year, day_of_week = fields
    return crontab(minute=minute, hour=hour, day_of_month=day_of_month,
                   month_of_year=month_of_year, day_of_week=day_of_week)


def _beat_schedule(platform: Any) -> dict[str, dict[str, Any]]:
    schedule: dict[str, dict[str, Any]] = {}
    for plugin, entry in collect(platform.pm, "crm_beat_schedule"):
        if not isinstance(entry, ScheduleEntry):
            raise RegistryError(f"plugin {plugin!r}: crm_beat_schedule returned {entry!r}")
        task = entry.task if "." in entry.task else f"{plugin}.{entry.task}"
        if task not in platform.tasks:
            raise RegistryError(f"plugin {plugin!r}: schedule {entry.name!r} names unknown "
                                f"task {task!r}")
        if (entry.seconds is None) == (entry.crontab is None):
            raise RegistryError(f"plugin {plugin!r}: schedule {entry.name!r} needs exactly one "
                                "of seconds or crontab")
        when: Any = timedelta(seconds=entry.seconds) if entry.seconds is not None else \
            _cron(plugin, entry)
        schedule[f"{plugin}.{entry.name}"] = {"task": task, "schedule": when,
                                              "kwargs": entry.kwargs}
        platform.schedule.append((plugin, entry))
    return schedule
