"""JSON lines on stdout, one access line per request, and a request id on every line.

Each request gets an id: the incoming ``X-Request-ID`` when it is sane (at most 64 of
``A-Z a-z 0-9 . _ -``), else a new uuid4 hex. It is kept in ``flask.g.request_id`` (the
operation log reads it there), echoed in the ``X-Request-ID`` response header, and added to
every log record emitted while the request runs, together with the signed-in user's id.

Logging is configured once per process (a JSON handler on the root logger); creating more
apps, as tests do, only adds their request hooks.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import sys
import time
import uuid
from typing import Any

from flask import Flask, g, has_request_context, request
from flask.logging import default_handler
from pythonjsonlogger.json import JsonFormatter

from .edge.failures import loaded_user_id
from .errors import ConfigError

ACCESS_LOGGER = "crm.access"
# Loggers whose INFO lines are wanted: the kernel's, the built-in plugins', and "crm.*".
APP_LOGGERS = ("crm", "crm_core", "plugins")
REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_MAX = 64
_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9._-]")

access_log = logging.getLogger(ACCESS_LOGGER)


def clean_request_id(value: str | None) -> str | None:
    """``value`` with characters outside ``[A-Za-z0-9._-]`` removed, cut to 64; None if empty."""
    cleaned = _NOT_ALLOWED.sub("", value or "")[:REQUEST_ID_MAX]
    return cleaned or None


def current_request_id() -> str | None:
    """The id of the request being served, or None outside a request."""
    return g.get("request_id") if has_request_context() else None


def _current_user_id() -> int | None:
    # Only a user Flask-Login already loaded, read from the identity map: logging must never
    # query the database (after a failed flush the user is expired and a query would fail).
    try:
        return loaded_user_id()
    except Exception:  # noqa: BLE001 — a log line must never fail
        return None


class RequestContextFilter(logging.Filter):
    """Adds ``request_id`` and ``user_id`` to records emitted while a request is served."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            if not hasattr(record, "request_id"):
                record.request_id = g.get("request_id")
            if not hasattr(record, "user_id"):
                record.user_id = _current_user_id()
        return True


class JsonLineFormatter(JsonFormatter):
    """One JSON object per line: ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message``,
    then whatever the record carries (``request_id``, ``user_id``, ``extra=`` fields)."""

    def __init__(self) -> None:
        super().__init__("%(levelname)s %(name)s %(message)s",
                         rename_fields={"levelname": "level", "name": "logger"},
                         json_ensure_ascii=False)

    def add_fields(self, log_data: dict[str, Any], record: logging.LogRecord,
                   message_dict: dict[str, Any]) -> None:
        log_data["time"] = dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
            timespec="milliseconds")
        super().add_fields(log_data, record, message_dict)


class StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to the process's real stdout, whatever ``sys.stdout`` was swapped for.

    Celery replaces ``sys.stdout`` with a proxy that logs what is printed, and click's test
    runner with a buffer of the command's output; log lines belong in neither.
    """

    def __init__(self) -> None:
        super().__init__(sys.__stdout__ or sys.stdout)


def configure_logging(level: str = "INFO") -> logging.Handler:
    """Install the JSON stdout handler on the root logger, once per process; set levels."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if isinstance(h, StdoutHandler)), None)
    if handler is None:
        handler = StdoutHandler()
        handler.setFormatter(JsonLineFormatter())
        handler.addFilter(RequestContextFilter())
        root.addHandler(handler)
    for name in APP_LOGGERS:
        logging.getLogger(name).setLevel(level)
    return handler


def _log_level(value: Any) -> str:
    name = str(value or "INFO").strip().upper()
    if name not in logging.getLevelNamesMapping():
        raise ConfigError(f"CRM_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {value!r}")
    return name


def _start_request() -> None:
    g.request_started = time.perf_counter()
    g.request_id = clean_request_id(request.headers.get(REQUEST_ID_HEADER)) or uuid.uuid4().hex


def _finish_request(response: Any) -> Any:
    if "request_id" not in g:  # a hook before ours failed: still give the request an id
        _start_request()
    response.headers[REQUEST_ID_HEADER] = g.request_id
    if not access_log.isEnabledFor(logging.INFO):  # CRM_LOG_LEVEL=WARNING: no line to build
        return response
    started = g.get("request_started", time.perf_counter())
    duration_ms = round((time.perf_counter() - started) * 1000, 2)
    access_log.info("%s %s %s", request.method, request.path, response.status_code, extra={
        "request_id": g.request_id,
        "user_id": _current_user_id(),
        "method": request.method,
        "path": request.path,
        "status": response.status_code,
        "duration_ms": duration_ms,
    })
    return response


def init_app(app: Flask) -> None:
    """Log one JSON line per request and keep or make ``X-Request-ID``."""
    app.config["CRM_LOG_LEVEL"] = _log_level(app.config.get("CRM_LOG_LEVEL"))
    configure_logging(app.config["CRM_LOG_LEVEL"])
    # Flask's own stderr handler would print every app.logger line a second time, unformatted.
    app.logger.removeHandler(default_handler)
    app.before_request(_start_request)
    app.after_request(_finish_request)
