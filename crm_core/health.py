"""``/healthz`` (the process is up) and ``/readyz`` (database migrated, broker reachable;
broken third-party plugins that were disabled at start are named, without failing)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify
from kombu import Connection
from sqlalchemy import text

from .auth.permissions import public
from .migrate import pending_branches

bp = Blueprint("core_health", __name__)


@bp.get("/healthz")
@public
def healthz():  # type: ignore[no-untyped-def]
    """200 while the process answers."""
    return jsonify(status="ok")


def _check_database() -> str | None:
    try:
        with current_app.extensions["crm_db"].engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        pending = pending_branches(current_app)
    except Exception as exc:  # any failure means "not ready", reported, never raised
        return f"unreachable: {type(exc).__name__}: {str(exc).splitlines()[0]}"
    if pending:
        return "not migrated: run 'crm db upgrade' (pending: " + ", ".join(pending) + ")"
    return None


def _check_broker() -> str | None:
    timeout = current_app.config["CRM_READY_TIMEOUT"]
    try:
        with Connection(current_app.config["CRM_BROKER_URL"], connect_timeout=timeout) as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout)
    except Exception as exc:  # kombu raises many kinds; all mean "not ready"
        return f"unreachable: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    return None


def _plugins() -> dict[str, list[str]]:
    """Names only: the reasons may quote a third-party's message, shown to admins alone
    (the Modules page, ``crm plugins list``)."""
    known = current_app.extensions["crm"].known
    return {"broken": sorted(name for name, record in known.items()
                             if record.state == "broken")}


@bp.get("/readyz")
@public
def readyz():  # type: ignore[no-untyped-def]
    """200 when the database is reachable and migrated and the broker reachable, else 503."""
    checks: dict[str, Any] = {"database": _check_database(), "broker": _check_broker()}
    problems = {name: problem for name, problem in checks.items() if problem}
    body = {"status": "ready" if not problems else "not ready",
            "checks": {name: problem or "ok" for name, problem in checks.items()},
            "plugins": _plugins()}
    return jsonify(body), 200 if not problems else 503
