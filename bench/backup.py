"""The backup benchmark (issue 18): how long a backup, a restore and a verify of a
1M-customer instance take (the recovery time objective's figure).

    nice -n 10 .venv/bin/python bench/backup.py [--scale 1.0] [--database-url URL]

The data set is the service benchmark's (``bench/service.py``: 1,000,000 customers with a
contact record each, 2,000,000 requests with a ticket each, their surveys and kept
aggregates; built once and reused). The backup is written to ``bench/.data/backups``; the
restore goes into a fresh SQLite file (or a fresh PostgreSQL database beside the source's)
through ``crm_core.backup.service``, as ``crm backup restore`` does, and is timed from the
backup file to a migrated, checked instance. Prints a Markdown table. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import service as service_bench  # noqa: E402  (the data set's builder)

from crm_core.app import create_app  # noqa: E402
from crm_core.backup.database import row_counts  # noqa: E402
from crm_core.backup.service import create_backup, restore_backup, verify_backup  # noqa: E402

DATA = ROOT / "bench" / ".data"


def _target(url: str) -> str:
    """A fresh database of the source's kind to restore into."""
    if make_url(url).get_backend_name() == "sqlite":
        path = DATA / "restored.sqlite"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    name = f"crm_restore_{uuid.uuid4().hex[:8]}"
    with create_engine(url, isolation_level="AUTOCOMMIT").connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def main(argv: list[str] | None = None) -> int:
    """Build or reuse the data set, back it up, restore it, verify it, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    customers, tickets = int(1_000_000 * args.scale), int(2_000_000 * args.scale)
    DATA.mkdir(parents=True, exist_ok=True)
    url = args.database_url or f"sqlite:///{DATA / f'service-{customers}.sqlite'}"
    app, _built = service_bench.build(url, customers, tickets, False)
    with app.app_context():
        rows = sum(row_counts(app.extensions["crm_db"].engine).values())
        began = time.perf_counter()
        path = create_backup(app, DATA / "backups")
        backup_seconds = time.perf_counter() - began
    size = path.stat().st_size
    target_url = _target(url)
    instance = DATA / f"restored-instance-{uuid.uuid4().hex[:6]}"
    settings = {"CRM_DATABASE_URL": target_url, "CRM_INSTANCE_PATH": str(instance),
                "CRM_PLUGINS": ["customers", "service"]}
    target = create_app(settings)
    with target.app_context():
        began = time.perf_counter()
        restored = restore_backup(target, path, force=True)
        restore_seconds = time.perf_counter() - began
    with app.app_context():
        began = time.perf_counter()
        verified = verify_backup(app, path)
        verify_seconds = time.perf_counter() - began
    kind = make_url(url).get_backend_name()
    print(f"#### {kind}, {customers:,} customers, {rows:,} rows in "
          f"{len(restored.tables)} tables, backup {size / 1_048_576:,.0f} MiB; "
          f"{platform.machine()} {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}, "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n")
    print("| step | seconds | goal |\n|---|---|---|")
    print(f"| backup (while serving is possible) | {backup_seconds:.1f} | — |")
    print(f"| restore into an empty instance, migrated | {restore_seconds:.1f} | ≤ 300 |")
    print(f"| verify (scratch restore, counts, migrations) | {verify_seconds:.1f} | — |")
    print(f"\nverify problems: {verified.problems or 'none'}")
    path.unlink()
    target.extensions["crm_db"].engine.dispose()
    app.extensions["crm_db"].engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
