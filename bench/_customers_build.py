"""Building the customers benchmark's data sets: databases, users, demo data, the import CSV.

A data set is built once per database and size; ``--reuse`` keeps it (SQLite files and the
import CSV under ``bench/.data/``, PostgreSQL databases named ``crm_bench_...``) and a JSON
marker beside it says it is complete.
"""

from __future__ import annotations

import csv
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / ".data"
PASSWORD = "bench-password-1"
DEPARTMENTS = ("华东销售部", "华南销售部", "华北销售部", "International")
SALES_USERS = 20


@dataclass
class Target:
    """One database the benchmark runs on."""

    kind: str  # "sqlite" or "postgres"
    url: str  # SQLAlchemy URL
    instance: Path
    marker: Path

    def environment(self) -> dict[str, str]:
        """``CRM_*`` variables that make ``crm`` in a subprocess use this database."""
        return {"CRM_DATABASE_URL": self.url, "CRM_INSTANCE_PATH": str(self.instance),
                "CRM_PLUGINS": "customers", "CRM_SECRET_KEY": "bench-secret-key",
                # One JSON access-log line per request would drown the table on stdout.
                "CRM_LOG_LEVEL": "WARNING",
                "CRM_BROKER_URL": f"sqla+sqlite:///{self.instance / 'broker.sqlite'}"}

    def driver_url(self) -> str:
        """The URL for plain sqlite3 (a path) or psycopg (a conninfo)."""
        url = make_url(self.url)
        if self.kind == "sqlite":
            return url.database or ""
        return url.set(drivername="postgresql").render_as_string(hide_password=False)


def target(kind: str, name: str, postgres_admin: str) -> Target:
    """The target ``name`` (a file or database name) on ``kind``."""
    DATA.mkdir(parents=True, exist_ok=True)
    instance = DATA / f"instance-{kind}-{name}"
    instance.mkdir(exist_ok=True)
    marker = DATA / f"{kind}-{name}.built.json"
    if kind == "sqlite":
        return Target(kind, f"sqlite:///{DATA / f'{name}.sqlite'}", instance, marker)
    url = make_url(postgres_admin).set(database=f"crm_bench_{name}".replace("-", "_"))
    return Target(kind, url.render_as_string(hide_password=False), instance, marker)


def drop(target_: Target, postgres_admin: str) -> None:
    """Remove the target's database (file or PostgreSQL database) and its marker."""
    target_.marker.unlink(missing_ok=True)
    if target_.kind == "sqlite":
        path = Path(target_.driver_url())
        for extra in ("", "-wal", "-shm"):
            Path(f"{path}{extra}").unlink(missing_ok=True)
        return
    name = make_url(target_.url).database
    engine = create_engine(postgres_admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


def make_app(target_: Target) -> Any:
    """An app of the customers plugin alone on the target's database."""
    from crm_core.app import create_app

    return create_app({**target_.environment(), "CRM_PLUGINS": ["customers"],
                       "TESTING": True, "CRM_STRICT": True})


def _users(app: Any) -> dict[str, int]:
    """An administrator and sales users spread over departments; their ids by name."""
    from crm_core.auth.service import create_user
    from crm_core.rbac.departments import create_department
    from crm_core.rbac.service import assign_roles

    session = app.extensions["crm_db"].new_session()
    ids = {"admin": create_user(session, "bench-admin", PASSWORD, superuser=True).id}
    departments = [create_department(session, name).id for name in DEPARTMENTS]
    for number in range(SALES_USERS):
        user = create_user(session, f"sales{number:02d}", PASSWORD)
        user.department_id = departments[number % len(departments)]
        assign_roles(session, user.id, ["sales"])
        ids[f"sales{number:02d}"] = user.id
    session.commit()
    session.close()
    return ids


def prepare(target_: Target, postgres_admin: str) -> Any:
    """A fresh, migrated database with the benchmark's users; returns its app."""
    from crm_core.migrate import upgrade

    drop(target_, postgres_admin)
    app = make_app(target_)
    with app.app_context():
        upgrade(app)
    _users(app)
    return app


def build(target_: Target, customers: int, records: int, seed: int, postgres_admin: str,
          reuse: bool) -> tuple[Any, dict[str, Any]]:
    """The app on the target's data set, built unless ``reuse`` finds it complete; returns
    it with the build figures (customers/s, records/s, seconds)."""
    wanted = {"customers": customers, "records": records, "seed": seed}
    if reuse and target_.marker.exists():
        built = json.loads(target_.marker.read_text())
        if all(built.get(key) == value for key, value in wanted.items()):
            print(f"[{target_.kind}] reusing the data set built {built['built_at']}",
                  file=sys.stderr)
            return make_app(target_), built
    from plugins.customers.demo import seed as demo

    app = prepare(target_, postgres_admin)
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        began = time.perf_counter()
        report = demo.fill(session, customers, seed=seed,
                           records_per_customer=records / max(customers, 1),
                           progress=_progress(target_.kind))
        seconds = time.perf_counter() - began
        session.close()
    built = {**wanted, "built_at": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
             "seconds": round(seconds, 1), "customers_added": report.customers,
             "contacts_added": report.contacts, "records_added": report.records}
    target_.marker.write_text(json.dumps(built, indent=2))
    return app, built


def _progress(kind: str) -> Any:
    last = [0.0]

    def progress(done: int, total: int, report: Any) -> None:
        if report.seconds - last[0] >= 10 or done == total:
            last[0] = report.seconds
            print(f"[{kind}] built {done:,}/{total:,} customers, {report.records:,} records "
                  f"in {report.seconds:.0f} s", file=sys.stderr, flush=True)

    return progress


IMPORT_HEADERS = ("客户名称", "行业", "省份", "城市", "手机", "邮箱", "统一社会信用代码",
                  "地址", "网址", "来源", "级别", "状态")


def _national(number: str) -> str:
    """How a Chinese user types a number: 13812345678, 01012345678; others stay +..."""
    if number.startswith("+86"):
        national = number[3:]
        mobile = len(national) == 11 and national[0] == "1" and national[1] in "3456789"
        return national if mobile else "0" + national
    return number


def import_csv(rows: int, seed: int) -> Path:
    """A CSV of ``rows`` new customers with Chinese headers (UTF-8 with BOM, as Excel saves
    "CSV UTF-8"), written once and kept under bench/.data."""
    from plugins.customers.demo.seed import customer_rows

    path = DATA / f"import-{rows}-{seed}.csv"
    if path.exists():
        return path
    partial = path.with_suffix(".part")
    # A start far beyond the data set: other USCCs than the benchmark's customers.
    with partial.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(IMPORT_HEADERS)
        for row in customer_rows(rows, seed=seed + 1, start=50_000_000):
            writer.writerow((row["name"], row["industry"], row["province"],
                             row["city"], ";".join(_national(n) for n in row["phones"]),
                             ";".join(row["emails"]), row["uscc"] or "", row["address"],
                             row["website"], row["source"], row["level"], row["status"]))
    partial.rename(path)
    return path
