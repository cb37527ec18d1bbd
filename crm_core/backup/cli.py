"""``crm backup create|restore|verify|list|key``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app

from .service import backups_in, create_backup, default_folder, restore_backup, verify_backup


@click.group("backup")
def backup() -> None:
    """Back up the whole instance to one file, and restore it (docs/OPERATIONS.md)."""


@backup.command("create")
@click.option("--to", "folder", type=click.Path(file_okay=False, path_type=Path),
              help="The folder to write to (default: CRM_BACKUP_DIR).")
def create(folder: Path | None) -> None:
    """Back up the database (consistent while the app runs), the attachments and the job
    files; prints the backup file's path as the last line."""
    path = create_backup(current_app, folder)
    click.echo(f"{path.stat().st_size / 1_048_576:.1f} MiB written.")
    click.echo(str(path))


@backup.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True,
              help="Replace an instance that already holds data (users or files).")
def restore(file: Path, force: bool) -> None:
    """Restore FILE into this instance, then migrate it to this version's heads."""
    done = restore_backup(current_app, file, force=force)
    click.echo(f"Restored the backup of {done.created_at}: {len(done.tables)} tables, "
               f"{sum(done.tables.values())} rows, {done.files} files.")
    if done.upgraded:
        click.echo("Migrated forward: " + ", ".join(done.upgraded))


@backup.command("verify")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def verify(file: Path) -> None:
    """Restore FILE into a scratch database and check it; exit 1 naming any problem."""
    found = verify_backup(current_app, file)
    if found.pending:
        click.echo("Older than this version; a restore migrates: " + ", ".join(found.pending))
    if found.problems:
        for problem in found.problems:
            click.echo(f"  {problem}", err=True)
        click.echo(f"The backup of {found.created_at} has {len(found.problems)} problem(s).",
                   err=True)
        sys.exit(1)
    click.echo(f"The backup of {found.created_at} is good: {found.tables} tables, "
               f"{found.rows} rows, checksums and migrations agree.")


@backup.command("list")
def list_backups() -> None:
    """The backups in CRM_BACKUP_DIR, newest first."""
    found = backups_in(default_folder(current_app))
    if not found:
        click.echo("No backups yet (crm backup create).")
    for path in found:
        click.echo(f"{path.name}  {path.stat().st_size / 1_048_576:.1f} MiB")


@backup.command("key")
def key() -> None:
    """Print a new age key for CRM_BACKUP_KEY (keep a copy away from the backups)."""
    import pyrage

    identity = pyrage.x25519.Identity.generate()
    click.echo(f"# public key (recipient): {identity.to_public()}")
    click.echo(str(identity))
