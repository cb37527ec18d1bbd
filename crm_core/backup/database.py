"""The database part of a backup: a consistent copy of the running database, and its
restore. SQLite uses its online backup API (one step: a snapshot while writers go on in WAL
mode); PostgreSQL uses ``pg_dump -Fc`` and ``pg_restore`` (the client tools must be
installed: the Makefile installs them when missing).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import URL, make_url

from ..errors import CrmError

__all__ = ["BackupError", "dump", "kind_of", "restore", "row_counts", "scratch_parent",
           "sqlite_path"]


class BackupError(CrmError):
    """A backup or restore that cannot go on; the message says why and what to do."""


def kind_of(url: str) -> str:
    """``sqlite`` or ``postgresql``: the database kinds a backup knows."""
    backend = make_url(url).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {backend}.")
    return backend


def sqlite_path(url: str) -> Path:
    """The file of a SQLite database URL."""
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return Path(database)


def scratch_parent(url: str) -> Path | None:
    """Where a restore should extract: beside a SQLite file (so the database is moved into
    place, not copied again), the system's temporary folder otherwise."""
    if kind_of(url) != "sqlite":
        return None
    folder = sqlite_path(url).resolve().parent
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """The libpq connection string of a SQLAlchemy URL (password in the environment, never
    on a command line that ``ps`` shows)."""
    parsed: URL = make_url(url)
    environment = dict(os.environ)
    if parsed.password:
        environment["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), environment


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed: install the PostgreSQL client tools "
                          "(Debian: apt-get install postgresql-client).")
    return found


def _run(command: list[str], environment: dict[str, str]) -> None:
    done = subprocess.run(command, env=environment, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["(no message)"]
        raise BackupError(f"{Path(command[0]).name} failed: {last[0]}")


def dump(url: str, target: Path) -> None:
    """Write a consistent copy of the database at ``url`` to ``target``."""
    if kind_of(url) == "sqlite":
        source = sqlite3.connect(sqlite_path(url))
        copy = sqlite3.connect(target)
        try:
            with copy:
                source.backup(copy)  # pages=-1: one step, one consistent snapshot
        finally:
            copy.close()
            source.close()
        return
    connection, environment = _libpq(url)
    _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
          f"--file={target}", f"--dbname={connection}"], environment)


def restore(url: str, dumped: Path, engine: Engine) -> None:
    """Replace the database at ``url`` with the copy ``dumped`` (``engine``'s connections
    are closed first; a SQLite copy is moved, so extract it on the target's file system)."""
    engine.dispose()
    if kind_of(url) == "sqlite":
        path = sqlite_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        staged = path.with_name(path.name + ".restoring")
        try:
            os.replace(dumped, staged)  # extracted beside the target: a rename, no copy
        except OSError:
            shutil.copyfile(dumped, staged)
        for stale in (Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
            stale.unlink(missing_ok=True)  # an old WAL replayed over the copy would corrupt it
        os.replace(staged, path)
        return
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    connection_string, environment = _libpq(url)
    _run([_tool("pg_restore"), "--no-owner", "--no-privileges", "--jobs=2",
          f"--dbname={connection_string}", str(dumped)], environment)


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows per table of the database (the manifest's and ``verify``'s comparison)."""
    names = sorted(inspect(engine).get_table_names())
    counts: dict[str, int] = {}
    with engine.connect() as connection:
        preparer = engine.dialect.identifier_preparer
        for name in names:
            counts[name] = int(connection.execute(
                text(f"SELECT count(*) FROM {preparer.quote(name)}")).scalar_one())
    return counts
