"""Building the Resource benchmark's data set: one database holding the customers plugin's
customers (its hand-written list) and the example plugin's notes (a kernel Resource), the
same number of each, so both lists are measured in one run on one database.

SQLite: ``bench/.data/resources-<rows>.sqlite``. PostgreSQL: the database named in
``--database-url`` (created when missing, emptied by dropping its ``public`` schema on a
fresh build). A JSON marker under ``bench/.data`` says the build is complete; ``--reuse``
keeps it. On reuse the migrations still run, so a new index reaches an old data set.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _customers_build import _users  # noqa: E402

DATA = Path(__file__).resolve().parent / ".data"
BATCH = 10_000
PLUGINS = ["customers", "example"]
REP = "sales00"  # owns half the notes; a department's quarter of the customers


def database_url(url: str | None, rows: int) -> str:
    """The benchmark database: ``url``, or the SQLite file for ``rows``."""
    return url or f"sqlite:///{DATA / f'resources-{rows}.sqlite'}"


def _marker(url: str, rows: int) -> Path:
    kind = make_url(url).get_backend_name()
    return DATA / f"resources-{kind}-{rows}.built.json"


def _empty(url: str) -> None:
    """Make ``url``'s database exist and hold nothing."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        for extra in ("", "-wal", "-shm"):
            Path(f"{parsed.database}{extra}").unlink(missing_ok=True)
        return
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if not connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                 {"name": parsed.database}):
            connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    engine = create_engine(parsed, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def make_app(url: str) -> Any:
    """The app with the customers and example plugins on ``url``."""
    from crm_core.app import create_app
    from crm_core.testing import test_config

    instance = DATA / f"resources-instance-{make_url(url).get_backend_name()}"
    instance.mkdir(parents=True, exist_ok=True)
    return create_app(test_config(instance, url, PLUGINS, CRM_LOG_LEVEL="WARNING",
                                  CRM_API_RATE_LIMIT="1000000 per minute"))


def _notes(app: Any, rows: int, admin: int, rep: int) -> None:
    """``rows`` notes, half the administrator's, half the rep's, ten priorities."""
    from crm_plugin_example.models import Note

    base = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    engine = app.extensions["crm_db"].engine
    for first in range(0, rows, BATCH):
        # Core on the engine: the bench's own data is not an operation to log
        with engine.begin() as connection:
            connection.execute(insert(Note.__table__), [
                {"title": f"Note {number:07d} 上海华信", "body": "", "status": "open",
                 "priority": number % 10, "owner_id": rep if number % 2 else admin,
                 "created_at": base + dt.timedelta(minutes=number), "updated_at": base}
                for number in range(first, min(first + BATCH, rows))])
        if (first // BATCH) % 20 == 0:
            print(f"  notes {first + BATCH:,}/{rows:,}", file=sys.stderr, flush=True)


def build(url: str, rows: int, reuse: bool) -> tuple[Any, dict[str, Any]]:
    """The app on the data set of ``rows`` customers and ``rows`` notes; built unless
    ``reuse`` finds it complete. Returns the app and the build figures."""
    from crm_core.migrate import upgrade

    DATA.mkdir(parents=True, exist_ok=True)
    marker = _marker(url, rows)
    if reuse and marker.exists():
        app = make_app(url)
        with app.app_context():
            upgrade(app)  # a migration added since the build (an index) reaches the data
        # a migration that copies a table (SQLite's batch mode) drops its planner statistics
        with app.extensions["crm_db"].engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
        print(f"reusing the data set built {json.loads(marker.read_text())['built_at']}",
              file=sys.stderr)
        return app, json.loads(marker.read_text())
    marker.unlink(missing_ok=True)
    _empty(url)
    app = make_app(url)
    with app.app_context():
        upgrade(app)
    ids = _users(app)
    from plugins.customers.demo import seed as demo

    figures: dict[str, Any] = {"rows": rows}
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        began = time.perf_counter()
        demo.fill(session, rows, records_per_customer=0.01,  # the list needs no records
                  progress=lambda done, total, report: done % 100_000 == 0 and print(
                      f"  customers {done:,}/{total:,}", file=sys.stderr, flush=True))
        figures["customers_s"] = round(time.perf_counter() - began, 1)
        session.close()
        began = time.perf_counter()
        _notes(app, rows, ids["admin"], ids[REP])
        figures["notes_s"] = round(time.perf_counter() - began, 1)
        engine = app.extensions["crm_db"].engine
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
    figures["built_at"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    marker.write_text(json.dumps(figures, indent=2))
    print(f"built {rows:,} customers and notes: {figures}", file=sys.stderr)
    return app, figures


if __name__ == "__main__":  # build only: python bench/_resources_build.py ROWS [URL]
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    build(database_url(sys.argv[2] if len(sys.argv) > 2 else None, int(sys.argv[1])), int(
        sys.argv[1]), reuse=False)
