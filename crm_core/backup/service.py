"""Create, restore and verify backups of the running instance, and prune old ones.

``create`` copies the database while the app runs, then the files; ``restore`` replaces an
empty instance (a non-empty one only when forced) and migrates it forward when the backup
is older than the code; ``verify`` restores into a scratch database and checks checksums,
row counts and that models and migrations agree.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from .. import migrate
from ..files.stores import CHUNK, FileStore, copy_in, file_store
from .archive import (
    DATABASE_MEMBERS,
    BackupWriter,
    backup_name,
    check_members,
    encrypting_recipient,
    opened,
    read_manifest,
)
from .database import BackupError, dump, kind_of, restore, row_counts, scratch_parent

__all__ = ["Restored", "Verified", "backups_in", "create_backup", "default_folder",
           "prune_backups", "restore_backup", "verify_backup"]

_PREFIXES = ("files/", "jobs/")


def _version() -> str:
    try:
        return metadata.version("crm-platform")
    except metadata.PackageNotFoundError:
        return "unknown"


def _folders(app: Flask) -> dict[str, Path]:
    """The folders backed up as they are: the job files, and the stored files unless they
    are in a bucket (``_add_bucket``)."""
    store = file_store(app)
    folders = {"jobs": Path(app.config["CRM_JOB_FILES"])}
    if not store.remote:
        folders["files"] = Path(store.root)  # type: ignore[attr-defined]
    return folders


def _add_bucket(writer: BackupWriter, store: FileStore, scratch: Path) -> int:
    """Copy a bucket's objects into the backup as ``files/<key>``, one at a time through
    ``scratch`` (so a backup of a bucket restores into a folder and the other way)."""
    count, one = 0, scratch / "object"
    for key in store.keys():
        with store.open(key) as source, one.open("wb") as out:
            shutil.copyfileobj(source, out, CHUNK)
        writer.add_file(one, f"files/{key}")
        one.unlink()
        count += 1
    return count


def default_folder(app: Flask) -> Path:
    """Where backups go without ``--to``: ``CRM_BACKUP_DIR`` or ``<instance>/backups``."""
    return Path(app.config.get("CRM_BACKUP_DIR") or Path(app.instance_path) / "backups")


def create_backup(app: Flask, folder: Path | None = None,
                  now: dt.datetime | None = None) -> Path:
    """Write a backup of ``app``'s instance into ``folder``; returns the file."""
    url = app.config["CRM_DATABASE_URL"]
    kind = kind_of(url)
    now = now or dt.datetime.now(dt.UTC)
    folder = Path(folder or default_folder(app))
    folder.mkdir(parents=True, exist_ok=True)
    recipient = encrypting_recipient(app.config.get("CRM_BACKUP_KEY"))
    target = folder / backup_name(now, recipient is not None)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".backup-") as scratch_name:
        scratch = Path(scratch_name)
        database = scratch / DATABASE_MEMBERS[kind]
        dump(url, database)
        tar = scratch / "backup.tar"
        writer = BackupWriter(tar)
        try:
            writer.add_file(database, DATABASE_MEMBERS[kind])
            database.unlink()
            files = {name: writer.add_tree(path, name) for name, path in _folders(app).items()}
            if file_store(app).remote:
                files["files"] = _add_bucket(writer, file_store(app), scratch)
            engine = app.extensions["crm_db"].engine
            writer.finish({
                "created_at": now.isoformat(), "crm_version": _version(), "database": kind,
                "plugins": {record.name: record.info.version if record.info else ""
                            for record in app.extensions["crm"].enabled},
                "heads": sorted(migrate.current_heads(app)),
                "tables": row_counts(engine), "file_counts": files})
        except BaseException:
            writer.abort()
            raise
        staged = folder / f".{target.name}.part"
        if recipient is not None:
            import pyrage

            pyrage.encrypt_file(str(tar), str(staged), [recipient])
        else:
            shutil.move(tar, staged)
        staged.replace(target)  # a backup file is whole or absent
    return target


def _instance_holds_data(app: Flask) -> bool:
    engine = app.extensions["crm_db"].engine
    if "core_user" in inspect(engine).get_table_names():
        with engine.connect() as connection:
            if connection.execute(text("SELECT count(*) FROM core_user")).scalar_one():
                return True
    if file_store(app).remote and next(iter(file_store(app).keys()), None) is not None:
        return True
    return any(path.is_dir() and any(path.iterdir()) for path in _folders(app).values())


def _extract(archive: Any, folder: Path, manifest: dict[str, Any]) -> None:
    allowed = {DATABASE_MEMBERS[manifest["database"]], "manifest.json"}
    for member in archive.getmembers():
        if member.name not in allowed and not member.name.startswith(_PREFIXES):
            raise BackupError(f"The backup holds an unexpected member {member.name!r}.")
    archive.extractall(folder, filter="data")
    wrong = check_members(folder, manifest)
    if wrong:
        raise BackupError(f"The backup is damaged: {', '.join(wrong[:5])} do not match "
                          "their checksums.")


@dataclass
class Restored:
    """What a restore did."""

    created_at: str
    upgraded: list[str]
    #: the manifest's rows per table (as they were when the backup was made)
    tables: dict[str, int]
    files: int


def _replace_folder(source: Path, target: Path) -> int:
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True, exist_ok=True)
    if not source.is_dir():
        return 0
    count = 0
    for item in source.rglob("*"):
        if item.is_file():
            destination = target / item.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(item, destination)
            count += 1
    return count


def restore_backup(app: Flask, path: Path, force: bool = False,
                   upgrade: bool = True) -> Restored:
    """Restore the backup ``path`` into ``app``'s instance (refused when it holds data,
    unless ``force``), then migrate it to the code's heads (unless not ``upgrade``)."""
    url = app.config["CRM_DATABASE_URL"]
    if not force and _instance_holds_data(app):
        raise BackupError("This instance already holds data (users or files); restoring "
                          "replaces all of it. Run again with --force to do so.")
    with tempfile.TemporaryDirectory(prefix=".crm-restore-",
                                     dir=scratch_parent(url)) as scratch_name:
        scratch = Path(scratch_name)
        with opened(Path(path), app.config.get("CRM_BACKUP_KEY"), scratch) as archive:
            manifest = read_manifest(archive)
            if manifest["database"] != kind_of(url):
                raise BackupError(f"This backup is of a {manifest['database']} database; "
                                  f"this instance uses {kind_of(url)}.")
            contents = scratch / "contents"
            _extract(archive, contents, manifest)
        (scratch / "backup.tar").unlink(missing_ok=True)
        restore(url, contents / DATABASE_MEMBERS[manifest["database"]],
                app.extensions["crm_db"].engine)
        files = sum(_replace_folder(contents / name, folder)
                    for name, folder in _folders(app).items())
        if file_store(app).remote:  # objects the backup lacks stay (unused bytes, harmless)
            files += copy_in(file_store(app), contents / "files")
    upgraded = migrate.upgrade(app) if upgrade and migrate.pending_branches(app) else []
    tables = {name: int(count) for name, count in manifest.get("tables", {}).items()}
    return Restored(manifest["created_at"], upgraded, tables, files)


@dataclass
class Verified:
    """What ``verify`` found: an empty ``problems`` is a good backup."""

    created_at: str = ""
    tables: int = 0
    rows: int = 0
    #: branches the backup is behind the code (restore migrates them forward)
    pending: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _scratch_url(url: str, scratch: Path) -> tuple[str, Any]:
    """A scratch database like ``url``'s and a function dropping it."""
    if kind_of(url) == "sqlite":
        return f"sqlite:///{scratch / 'verify.sqlite'}", lambda: None
    name = f"crm_verify_{uuid.uuid4().hex[:12]}"
    server = make_url(url)
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return server.set(database=name).render_as_string(hide_password=False), drop


def verify_backup(app: Flask, path: Path) -> Verified:
    """Restore ``path`` into a scratch database and instance, then compare checksums, row
    counts and the migrations with the manifest."""
    from ..app import create_app

    found = Verified()
    with tempfile.TemporaryDirectory(prefix="crm-verify-") as scratch_name:
        scratch = Path(scratch_name)
        url, drop = _scratch_url(app.config["CRM_DATABASE_URL"], scratch)
        try:
            settings = {key: value for key, value in app.config.items()
                        if key.startswith("CRM_")}
            settings.update(CRM_INSTANCE_PATH=str(scratch / "instance"), CRM_DATABASE_URL=url,
                            CRM_FILES_DIR=str(scratch / "instance" / "files"),
                            CRM_FILE_STORE="",  # never the real bucket
                            CRM_JOB_FILES=str(scratch / "instance" / "jobs"),
                            CRM_BROKER_URL=f"sqla+sqlite:///{scratch / 'broker.sqlite'}")
            trial = create_app(settings)
            with trial.app_context():
                restored = restore_backup(trial, path, force=True, upgrade=False)
                counts = row_counts(trial.extensions["crm_db"].engine)
                found.created_at, found.tables = restored.created_at, len(restored.tables)
                found.rows = sum(restored.tables.values())
                for table, expected in sorted(restored.tables.items()):
                    if counts.get(table) != expected:
                        found.problems.append(f"{table}: {counts.get(table)} rows, the "
                                              f"manifest says {expected}")
                found.pending = migrate.pending_branches(trial)
                if found.pending:  # an older backup: restore migrates it; check that it can
                    migrate.upgrade(trial)
                found.problems.extend(f"models and migrations differ: {difference}"
                                      for difference in migrate.differences(trial)[:5])
                trial.extensions["crm_db"].engine.dispose()
        finally:
            drop()
    return found


def backups_in(folder: Path) -> list[Path]:
    """The backup files of ``folder``, newest first."""
    if not folder.is_dir():
        return []
    found = [item for item in folder.iterdir() if item.is_file()
             and item.name.startswith("crm-backup-") and item.name.endswith((".tar", ".age"))]
    return sorted(found, key=lambda item: item.name, reverse=True)


def prune_backups(folder: Path, keep: int) -> list[Path]:
    """Delete all but the ``keep`` newest backups of ``folder``; returns those deleted."""
    doomed = backups_in(folder)[max(keep, 1):]
    for item in doomed:
        item.unlink(missing_ok=True)
    return doomed

