"""``crm audit ...``."""

from __future__ import annotations

import sys

import click
from flask import current_app

from .chain import verify as verify_chain


@click.group("audit")
def audit() -> None:
    """Inspect and verify the operation log."""


@audit.command("verify")
@click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(min=1),
              help="Entries read per query (memory stays flat).")
def verify(batch_size: int) -> None:
    """Check the hash chain of the operation log, entry by entry in id order.

    Exits 0 when every entry is intact; exits 1 naming the first entry that was edited, or
    that follows a deleted or reordered entry.
    """
    with current_app.extensions["crm_db"].engine.connect() as connection:
        verdict = verify_chain(connection, batch_size)
    if verdict.ok:
        click.echo(f"The operation log is intact: {verdict.checked} entries verified.")
        if verdict.last_id is not None:
            click.echo(f"Last entry: id {verdict.last_id}, hash {verdict.last_hash}")
        return
    click.echo(f"The operation log is broken at entry {verdict.bad_id}: {verdict.reason}.",
               err=True)
    click.echo(f"{verdict.checked} entries before it are intact.", err=True)
    sys.exit(1)


@audit.command("backfill-scope")
def backfill_scope() -> None:
    """Give entries written before the data scope was recorded on them their scope.

    ``crm db upgrade`` does it once; run it again after enabling a plugin whose tables held
    entries while it was disabled. Entries that have a scope are left alone.
    """
    from .scoping import audited_models, backfill

    with current_app.extensions["crm_db"].engine.begin() as connection:
        changed = backfill(connection, audited_models(current_app.extensions["crm"]))
    click.echo(f"{changed} entries of the operation log were given their data scope.")
