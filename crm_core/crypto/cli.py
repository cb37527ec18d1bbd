"""``crm keys generate|rotate|status``: the encryption key ring (docs/OPERATIONS.md)."""

from __future__ import annotations

import click
from flask import current_app

from ..errors import ConfigError


@click.group("keys")
def keys() -> None:
    """The encryption keys of data at rest (CRM_ENCRYPTION_KEY)."""


@keys.command("generate")
@click.option("--id", "key_id", help="The new key's id (default: k + 8 random hex digits).")
def generate(key_id: str | None) -> None:
    """Print a new key ring entry ID:KEY. Put it first in CRM_ENCRYPTION_KEY, keep the old
    keys after it, then run `crm keys rotate`."""
    from .keyring import new_key

    try:
        click.echo(new_key(key_id))
    except ConfigError as error:
        raise click.UsageError(str(error)) from None


@keys.command("status")
def status() -> None:
    """Show the keys of the ring and what is not yet under the current one."""
    from ..db import get_session
    from .cipher import ring
    from .rotation import pending

    current = ring()
    click.echo(f"Keys: {', '.join(current.ids)} (current: {current.current.id}; "
               f"from {current.source})")
    left = pending(get_session())
    for name, count in sorted(left.items()):
        click.echo(f"  {name}: {count} not under the current key")
    click.echo("Nothing left to rotate: the old keys can be removed." if not any(left.values())
               else "Run `crm keys rotate` before removing an old key.")


@keys.command("rotate")
@click.option("--now", is_flag=True, help="Run here and wait, rather than as a worker job.")
@click.option("--batch", default=500, show_default=True, help="Rows per transaction.")
def rotate(now: bool, batch: int) -> None:
    """Re-encrypt every encrypted value and attachment under the current key (the first of
    CRM_ENCRYPTION_KEY), in batches. Queued as a job unless --now."""
    from ..db import get_session
    from ..jobs.service import start_job
    from .cipher import ring
    from .rotation import rotate as run

    if not now:
        job = start_job("core.keys_rotate", kind="keys_rotate")
        click.echo(f"Queued job {job.id} ({job.state}): re-encrypting under the key "
                   f"{ring().current.id}. Follow it with `crm keys status`.")
        return

    def progress(percent: float, message: object) -> None:
        click.echo(f"{percent:5.1f}%  {message}")

    session = get_session()
    result = run(session, progress, batch=max(1, batch))
    click.echo(f"Re-encrypted {sum(result.rows.values())} values and {result.files} files "
               f"under the key {ring().current.id}.")
    if not current_app.config.get("CRM_ENCRYPTION_KEY"):
        click.echo("CRM_ENCRYPTION_KEY is not set: the key is the instance's key file.")
