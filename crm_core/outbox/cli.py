"""``crm outbox drain|list|replay`` and ``crm mail test``."""

from __future__ import annotations

import json
import sys

import click

from ..db import get_session
from .channels import OutboxError, not_ready
from .delivery import drain as drain_outbox
from .mail import CHANNEL, mail_problem, send_mail
from .models import STATUSES, WAITING
from .service import list_messages, waiting_by_channel
from .service import replay as replay_message


def _warn_not_ready() -> None:
    """Say on stderr which channels cannot deliver, and how much waits for them."""
    waiting = waiting_by_channel(get_session())
    for channel, reason in sorted(not_ready().items()):
        click.echo(f"warning: channel {channel!r} cannot deliver ({reason}); "
                   f"{waiting.get(channel, 0)} message(s) stay queued.", err=True)


@click.group("outbox")
def outbox() -> None:
    """Deliver and inspect the outbox (e-mail and other outgoing messages)."""


@outbox.command("drain")
def drain() -> None:
    """Deliver every message that is due now, in the foreground.

    Prints how many were delivered, failed (tried again later, with backoff) and dead (out
    of tries: replay them from the outbox page or with ``crm outbox replay``).
    """
    report = drain_outbox()
    click.echo(f"Delivered {report.delivered}, failed {report.failed}, dead {report.dead}.")
    _warn_not_ready()


@outbox.command("list")
@click.option("--status", type=click.Choice(STATUSES),
              help="Only messages in this status (default: pending, failed and dead).")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10_000),
              help="At most this many messages, newest first.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def list_command(status: str | None, limit: int, as_json: bool) -> None:
    """List outbox messages with their tries and last error (payloads are not shown)."""
    rows, _next = list_messages(get_session(), (status,) if status else WAITING, limit=limit)
    if as_json:
        click.echo(json.dumps([row.to_dict() for row in rows], ensure_ascii=False))
        return
    if not rows:
        click.echo("No messages.")
        return
    for row in rows:
        data = row.to_dict()
        error = (row.last_error or "").splitlines()[0][:80] if row.last_error else ""
        click.echo(f"{row.id:>6}  {row.status:<7}  {row.channel:<12}  tries {row.attempts:<3}  "
                   f"next {data['next_attempt_at']}  key {row.idempotency_key}"
                   + (f"  error: {error}" if error else ""))


@outbox.command("replay")
@click.argument("message_id", type=click.IntRange(min=1))
def replay(message_id: int) -> None:
    """Try a pending, failed or dead message again now, with a fresh count of tries."""
    session = get_session()
    try:
        replay_message(session, message_id)
    except OutboxError as exc:
        session.rollback()
        click.echo(f"crm: error: {exc}", err=True)
        sys.exit(2)
    session.commit()
    click.echo(f"Message {message_id} will be tried again.")


@click.group("mail")
def mail() -> None:
    """E-mail through the outbox."""


@mail.command("test")
@click.argument("address")
def test(address: str) -> None:
    """Queue a test mail to ADDRESS through the outbox (a worker or ``crm outbox drain``
    sends it)."""
    session = get_session()
    try:
        row = send_mail(address, "CRM test mail",
                        "This is a test mail from the CRM. E-mail works.",
                        "<p>This is a test mail from the CRM. <strong>E-mail works.</strong></p>")
    except OutboxError as exc:
        session.rollback()
        click.echo(f"crm: error: {exc}", err=True)
        sys.exit(2)
    session.commit()
    click.echo(f"Queued test mail {row.id} to {address} (channel {CHANNEL!r}).")
    problem = mail_problem()
    if problem:
        click.echo(f"warning: e-mail is not configured ({problem}); the mail stays queued "
                   "until it is.", err=True)
