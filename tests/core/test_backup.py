"""``crm backup``: one file holds the database, the attachments and the job files; it
restores record for record into an empty instance (SQLite and PostgreSQL), refuses to
overwrite data unless told, migrates an older backup forward, and an encrypted backup shows
nothing without its key."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import tarfile
import threading
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from crm_core.backup.archive import AGE_MAGIC
from crm_core.backup.tasks import scheduled_backup
from crm_core.testing import DATABASES, invoke_cli

# a test key, made for this file
KEY = "AGE-SECRET-KEY-19VRASZM3AYGM7PHWX5KMD2V437DZ2H2A2P0JHTHHNFLN3L3HNYGS5RE5L4"


def _every_row(app) -> dict[str, list[tuple]]:
    """Every row of every table, in a stable order: what "record by record" compares."""
    engine = app.extensions["crm_db"].engine
    found = {}
    with engine.connect() as connection:
        for name in sorted(inspect(engine).get_table_names()):
            if name == "alembic_version":
                continue
            table_columns = [column["name"] for column in inspect(engine).get_columns(name)]
            quoted = ", ".join(engine.dialect.identifier_preparer.quote(c)
                               for c in table_columns)
            rows = connection.execute(text(
                f"SELECT {quoted} FROM {engine.dialect.identifier_preparer.quote(name)}"))
            found[name] = sorted(tuple(map(repr, row)) for row in rows)
    return found


def _seeded(crm_make_app, database: str = "sqlite", **config):
    app = crm_make_app(plugins=["customers"], database=database, **config)
    assert invoke_cli(app, "users", "ensure-admin").exit_code == 0
    result = invoke_cli(app, "seed", "--size", "0", "--customers", "40")
    assert result.exit_code == 0, result.output
    files = Path(app.config["CRM_FILES_DIR"]) / "ab"
    files.mkdir(parents=True)
    (files / "abcdef").write_bytes(b"%PDF-1.7 contract scan \x00\xff")
    jobs = Path(app.config["CRM_JOB_FILES"]) / "7"
    jobs.mkdir(parents=True)
    (jobs / "export.csv").write_text("名称,电话\n华为,139\n", encoding="utf-8")
    return app


def _said(result) -> str:
    """What the command printed, and the one-line error ``crm`` prints for a CrmError."""
    return result.output + (str(result.exception) if result.exception else "")


def _create(app, folder: Path) -> Path:
    result = invoke_cli(app, "backup", "create", "--to", str(folder))
    assert result.exit_code == 0, result.output
    path = Path(result.output.strip().splitlines()[-1])
    assert path.parent == folder and path.is_file()
    return path


@pytest.mark.parametrize("database", DATABASES)
def test_a_backup_restores_record_for_record_into_a_fresh_instance(crm_make_app, tmp_path,
                                                                   database):
    source = _seeded(crm_make_app, database)
    path = _create(source, tmp_path)
    target = crm_make_app(plugins=["customers"], database=database, migrate=False)
    result = invoke_cli(target, "backup", "restore", str(path))
    assert result.exit_code == 0, result.output
    assert "Restored the backup of" in result.output
    assert _every_row(target) == _every_row(source)
    restored = Path(target.config["CRM_FILES_DIR"]) / "ab" / "abcdef"
    assert restored.read_bytes() == b"%PDF-1.7 contract scan \x00\xff"
    job = Path(target.config["CRM_JOB_FILES"]) / "7" / "export.csv"
    assert job.read_text(encoding="utf-8") == "名称,电话\n华为,139\n"
    # the restored instance works: the admin can still sign in and see the customers
    with target.app_context():
        session = target.extensions["crm_db"].new_session()
        assert session.execute(text("SELECT count(*) FROM customers_customer")).scalar() == 40
        session.close()


def test_restore_refuses_an_instance_with_data_unless_forced(crm_make_app, tmp_path):
    source = _seeded(crm_make_app)
    path = _create(source, tmp_path)
    busy = _seeded(crm_make_app)
    before = _every_row(busy)
    refused = invoke_cli(busy, "backup", "restore", str(path))
    assert refused.exit_code != 0
    assert "--force" in _said(refused)
    assert _every_row(busy) == before
    forced = invoke_cli(busy, "backup", "restore", str(path), "--force")
    assert forced.exit_code == 0, forced.output
    assert _every_row(busy) == _every_row(source)


def test_an_older_backup_is_migrated_forward_when_restored(crm_make_app, tmp_path):
    kernel_only = crm_make_app(plugins=[])
    assert invoke_cli(kernel_only, "users", "ensure-admin").exit_code == 0
    path = _create(kernel_only, tmp_path)
    newer = crm_make_app(plugins=["customers"], migrate=False)
    result = invoke_cli(newer, "backup", "restore", str(path))
    assert result.exit_code == 0, result.output
    assert "Migrated forward" in result.output and "customers" in result.output
    assert invoke_cli(newer, "db", "check").exit_code == 0


def test_an_encrypted_backup_shows_nothing_without_its_key(crm_make_app, tmp_path):
    source = _seeded(crm_make_app, CRM_BACKUP_KEY=KEY)
    with source.app_context():
        session = source.extensions["crm_db"].new_session()
        name = session.execute(text("SELECT name FROM customers_customer LIMIT 1")).scalar()
        session.close()
    path = _create(source, tmp_path)
    assert path.name.endswith(".tar.age")
    raw = path.read_bytes()
    assert raw.startswith(AGE_MAGIC)
    assert name.encode("utf-8") not in raw and b"SQLite format 3" not in raw
    assert b"contract scan" not in raw

    keyless = crm_make_app(plugins=["customers"], migrate=False)
    refused = invoke_cli(keyless, "backup", "restore", str(path))
    assert refused.exit_code != 0 and "CRM_BACKUP_KEY" in _said(refused)
    keyed = crm_make_app(plugins=["customers"], migrate=False, CRM_BACKUP_KEY=KEY)
    assert invoke_cli(keyed, "backup", "restore", str(path)).exit_code == 0
    assert _every_row(keyed) == _every_row(source)


def test_a_damaged_backup_is_refused_and_the_instance_left_alone(crm_make_app, tmp_path):
    source = _seeded(crm_make_app)
    path = _create(source, tmp_path)
    with tarfile.open(path) as archive:
        offset = archive.getmember("database.sqlite").offset_data
    with path.open("r+b") as handle:  # flip one byte inside the database's pages
        handle.seek(offset + 5000)
        byte = handle.read(1)
        handle.seek(offset + 5000)
        handle.write(bytes([byte[0] ^ 0xFF]))
    target = crm_make_app(plugins=["customers"])
    before = _every_row(target)
    result = invoke_cli(target, "backup", "restore", str(path), "--force")
    assert result.exit_code != 0
    assert "damaged" in _said(result) and "database.sqlite" in _said(result)
    assert _every_row(target) == before
    verified = invoke_cli(source, "backup", "verify", str(path))
    assert verified.exit_code != 0 and "damaged" in _said(verified)


@pytest.mark.parametrize("database", DATABASES)
def test_verify_restores_into_a_scratch_database_and_agrees(crm_make_app, tmp_path, database):
    source = _seeded(crm_make_app, database)
    path = _create(source, tmp_path)
    result = invoke_cli(source, "backup", "verify", str(path))
    assert result.exit_code == 0, result.output
    assert "is good" in result.output
    assert not path.with_suffix(".sqlite").exists()


def test_a_backup_taken_while_customers_are_written_is_consistent(crm_make_app, tmp_path):
    source = _seeded(crm_make_app)
    stop = threading.Event()

    def write() -> None:
        engine = source.extensions["crm_db"].engine
        while not stop.is_set():
            with engine.begin() as connection:
                connection.execute(text(
                    "UPDATE customers_customer SET name = name || '·' WHERE id = "
                    "(SELECT min(id) FROM customers_customer)"))

    writer = threading.Thread(target=write)
    writer.start()
    try:
        path = _create(source, tmp_path)
    finally:
        stop.set()
        writer.join()
    with tarfile.open(path) as archive:
        archive.extract("database.sqlite", tmp_path / "x", filter="data")
    copy = sqlite3.connect(tmp_path / "x" / "database.sqlite")
    assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    copy.close()
    assert invoke_cli(source, "backup", "verify", str(path)).exit_code == 0


def test_the_beat_makes_a_backup_when_due_and_keeps_the_newest(crm_make_app, tmp_path):
    folder = tmp_path / "backups"
    app = crm_make_app(plugins=[], CRM_BACKUP_DIR=str(folder), CRM_BACKUP_EVERY_HOURS=24,
                       CRM_BACKUP_KEEP=2)
    start = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)
    with app.app_context():
        made = []
        for day in range(4):
            now = start + dt.timedelta(days=day)
            report = scheduled_backup(now)
            assert report["created"]
            made.append(folder / report["created"])
            os.utime(made[-1], (now.timestamp(), now.timestamp()))
            # an hour later nothing is due
            assert scheduled_backup(now + dt.timedelta(hours=1))["created"] is None
    assert sorted(folder.glob("crm-backup-*")) == made[-2:]
    listed = invoke_cli(app, "backup", "list")
    assert made[-1].name in listed.output.splitlines()[0]


def test_backup_key_prints_a_usable_age_identity(crm_make_app, tmp_path):
    app = crm_make_app(plugins=[])
    result = invoke_cli(app, "backup", "key")
    key = result.output.strip().splitlines()[-1]
    assert key.startswith("AGE-SECRET-KEY-1")
    assert "age1" in result.output
