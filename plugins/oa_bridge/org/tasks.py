"""When the org sync runs: ``crm oa sync-org``, a daily beat entry (``oa_bridge.sync_org``,
every active connection) and the vendors' org-change events. An event queues a sync of its
connection on the outbox channel ``oa_bridge.org_sync``, 30 s later and once per minute, so a
burst of changes (a department moved with its fifty people) costs one sync.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import (
    DomainError,
    OutboxChannel,
    OutboxDelivery,
    ScheduleEntry,
    TaskSpec,
    db,
    get_session,
    outbox,
)

from ..models import OaConnection
from ..protocol.api_errors import VendorError
from .sync import sync_org

log = logging.getLogger(__name__)
CHANNEL = "oa_bridge.org_sync"
DINGTALK_EVENTS = {"user_add_org", "user_modify_org", "user_leave_org", "user_active_org",
                   "org_dept_create", "org_dept_modify", "org_dept_remove"}
WECOM_EVENTS = {"change_contact"}
FEISHU_PREFIXES = ("contact.user.", "contact.department.")


def is_org_event(kind: str, event_type: str) -> bool:
    """Whether an accepted callback event says the OA's org structure changed."""
    if kind == "dingtalk":
        return event_type in DINGTALK_EVENTS
    if kind == "wecom":
        return event_type in WECOM_EVENTS
    return event_type.startswith(FEISHU_PREFIXES)


def on_event(session: Session, connection: OaConnection, event_type: str) -> None:
    """Queue a sync of the connection for an org-change event (the callback's transaction)."""
    if is_org_event(connection.kind, event_type):
        outbox.enqueue(CHANNEL, {"connection": connection.id},
                       f"org-sync-{connection.id}-{int(time.time() // 60)}", delay=30,
                       session=session)


def deliver(payload: dict[str, Any], message: OutboxDelivery) -> None:
    """Run one queued sync; an OA that cannot be read raises, so the outbox retries."""
    session = get_session()
    connection = session.get(OaConnection, int(payload["connection"]))
    if connection is None or not connection.active:
        return
    try:
        sync_org(session, connection)
    except VendorError as refused:
        session.rollback()
        if refused.retryable:
            raise
        log.warning("org sync of %s refused: %s", connection.name, refused)
        return
    session.commit()


def sync_all() -> dict[str, Any]:
    """The daily task: sync every active connection, each in its own transaction."""
    session = get_session()
    done: dict[str, Any] = {}
    for connection in session.scalars(select(OaConnection).where(
            OaConnection.active.is_(True)).order_by(OaConnection.id)).all():
        try:
            done[connection.name] = sync_org(session, connection).as_json()["counts"]
            session.commit()
        except VendorError as failed:
            session.rollback()
            log.warning("org sync of %s failed: %s", connection.name, failed)
            done[connection.name] = {"error": str(failed)[:200]}
    return done


def outbox_channels() -> list[OutboxChannel]:
    """The channel of event-driven syncs."""
    return [OutboxChannel(CHANNEL, deliver,
                          summary=lambda payload: f"OA org sync {payload.get('connection')}")]


def celery_tasks() -> list[TaskSpec]:
    """``oa_bridge.sync_org``."""
    return [TaskSpec("sync_org", sync_all)]


def beat_schedule() -> list[ScheduleEntry]:
    """Daily at 03:15."""
    return [ScheduleEntry("sync_org", "sync_org", crontab="15 3 * * *")]


@click.command("sync-org")
@click.option("--connection", "connection_name", required=True)
@click.option("--dry-run", is_flag=True, help="Print what would change; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the changes as JSON.")
def sync_org_command(connection_name: str, dry_run: bool, as_json: bool) -> None:
    """Bring the OA's departments and users into the CRM (never deletes)."""
    from ..connections.services import find_connection

    session = db.session
    connection = find_connection(session, connection_name, active_only=False)
    if connection is None:
        raise click.ClickException(f"There is no OA connection named {connection_name}.")
    try:
        report = sync_org(session, connection, dry_run=dry_run)
    except (VendorError, DomainError) as failed:
        session.rollback()
        raise click.ClickException(str(failed)) from None
    if dry_run:
        session.rollback()
    else:
        session.commit()
    data = report.as_json()
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    for change in data["changes"]:
        click.echo(f"{change['action']:18} {change['oa_id']:20} {change['name']}"
                   f"{'  ' + change['error'] if change['error'] else ''}")
    click.echo(", ".join(f"{key}: {value}" for key, value in sorted(data["counts"].items()))
               or "Nothing to change.")
