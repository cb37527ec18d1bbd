"""The sales benchmark's data set: a million customers, two million opportunities, a million
orders with five million lines, contracts, payment plans and payments.

    .venv/bin/python bench/sales_data.py [--customers 1000000] [--opportunities 2000000]
        [--orders 1000000] [--lines 5] [--database-url URL]

SQLite: ``bench/.data/sales-<customers>.sqlite``; PostgreSQL: the database named in
``--database-url`` (a fresh build empties its ``public`` schema). Resumable: each stage
(customers, then every sales table) is recorded in the JSON marker
``bench/.data/sales-<kind>-<customers>.built.json`` when done, and a stage cut short resumes
from the rows already there (the customers by count, the sales tables by
``plugins.sales.demo.bulk``, which skips what exists). Customers come from ``crm seed``'s
fast path (``plugins.customers.demo.seed.fill``, one contact record per customer: the sales
pages do not show them); the sales rows from ``plugins.sales.demo.bulk.fill`` (driver
``executemany`` in big transactions on SQLite, ``COPY`` on PostgreSQL), then the aggregates
are rebuilt, the customers' total transaction amounts follow the booked orders (customers'
public bulk ``add_to_total_amounts``) and the tables analysed. Prints rows/s per table.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _customers_build import _users  # noqa: E402

DATA = ROOT / "bench" / ".data"
PLUGINS = ["customers", "sales"]


def database_url(url: str | None, customers: int) -> str:
    """The benchmark database: ``url``, or the SQLite file for ``customers``."""
    DATA.mkdir(parents=True, exist_ok=True)
    return url or f"sqlite:///{DATA / f'sales-{customers}.sqlite'}"


def marker_path(url: str, customers: int) -> Path:
    """The JSON file recording the finished stages of this data set."""
    return DATA / f"sales-{make_url(url).get_backend_name()}-{customers}.built.json"


def make_app(url: str) -> Any:
    """The app with the customers and sales plugins on ``url``."""
    from crm_core.app import create_app
    from crm_core.testing import test_config

    instance = DATA / f"sales-instance-{make_url(url).get_backend_name()}"
    instance.mkdir(parents=True, exist_ok=True)
    return create_app(test_config(instance, url, PLUGINS, CRM_LOG_LEVEL="WARNING",
                                  CRM_API_RATE_LIMIT="1000000 per minute"))


def _empty(url: str) -> None:
    from _resources_build import _empty as empty

    empty(url)


def _read(marker: Path) -> dict[str, Any]:
    return json.loads(marker.read_text()) if marker.exists() else {}


def _save(marker: Path, built: dict[str, Any]) -> None:
    marker.write_text(json.dumps(built, indent=2, ensure_ascii=False))


def build(url: str, customers: int, opportunities: int, orders: int, lines: float,
          seed: int = 2026, fresh: bool = False) -> tuple[Any, dict[str, Any]]:
    """The app on the data set, every missing stage built; returns it and the marker."""
    from crm_core.migrate import upgrade

    marker = marker_path(url, customers)
    built = {} if fresh else _read(marker)
    if fresh or not built.get("users"):
        marker.unlink(missing_ok=True)
        _empty(url)
        built = {}
    app = make_app(url)
    with app.app_context():
        upgrade(app)  # also brings an old data set's schema up to date
    if not built.get("users"):
        _users(app)
        built["users"] = True
        _save(marker, built)
    if "customers" not in built:
        built["customers"] = _customers(app, customers, seed)
        _save(marker, built)
    wanted = {"opportunities": opportunities, "orders": orders, "lines": lines, "seed": seed}
    if built.get("sales", {}).get("wanted") != wanted:
        built["sales"] = {"wanted": wanted, **_sales(app, wanted)}
        _save(marker, built)
    else:  # a reused data set: aggregates added by a newer migration start empty
        _rebuild(app)
    return app, built


def _rebuild(app: Any) -> None:
    from crm_core.toolkit import analyze
    from plugins.sales.demo.bulk import rebuild_aggregates
    from plugins.sales.models import MODELS

    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        began = time.perf_counter()
        try:
            if rebuild_aggregates(session):
                analyze([model.__tablename__ for model in MODELS], session=session)
                session.commit()
                print(f"aggregates rebuilt in {time.perf_counter() - began:.1f} s",
                      file=sys.stderr, flush=True)
        except Exception as error:  # noqa: BLE001 - code ahead of its migration: go on
            session.rollback()
            print(f"aggregates NOT rebuilt ({type(error).__name__}: {str(error)[:160]}); "
                  "the figures that read them are not meaningful", file=sys.stderr,
                  flush=True)
        finally:
            session.close()


def _customers(app: Any, customers: int, seed: int) -> dict[str, Any]:
    from plugins.customers.demo import seed as demo

    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        have = session.scalar(text("SELECT count(*) FROM customers_customer")) or 0
        began = time.perf_counter()
        report = demo.fill(session, max(customers - have, 0), seed=seed,
                           records_per_customer=1.0, progress=_progress("customers"))
        seconds = time.perf_counter() - began
        session.close()
    rate = report.customers / max(seconds, 1e-6)
    print(f"customers: {report.customers:,} added in {seconds:.0f} s ({rate:,.0f} rows/s)",
          file=sys.stderr, flush=True)
    return {"rows": have + report.customers, "seconds": round(seconds, 1),
            "rows_per_s": round(rate), "built_at": _now()}


def _sales(app: Any, wanted: dict[str, Any]) -> dict[str, Any]:
    from flask_babel import force_locale

    from plugins.sales.demo import bulk, follow_customer_totals

    # As ``crm seed`` does: the demo words in CRM_DEMO_LANGUAGE (Chinese by default).
    with app.app_context(), force_locale(app.config.get("CRM_DEMO_LANGUAGE") or "zh_CN"):
        session = app.extensions["crm_db"].new_session()
        report = bulk.fill(session, opportunities=wanted["opportunities"],
                           orders=wanted["orders"], lines_per_order=wanted["lines"],
                           seed=wanted["seed"], add=False, progress=_say)
        if report.first_order_id is not None:
            # the customers' total transaction amounts follow the booked orders just added
            began = time.perf_counter()
            changed = follow_customer_totals(session, report.first_order_id)
            session.commit()
            _say(f"customers' totals: {changed:,} customers in "
                 f"{time.perf_counter() - began:.1f} s")
        session.close()
    return {"tables": report.tables, "seconds": round(report.seconds, 1), "built_at": _now()}


def _progress(what: str) -> Any:
    last = [0.0]

    def progress(done: int, total: int, report: Any) -> None:
        if report.seconds - last[0] >= 30 or done == total:
            last[0] = report.seconds
            print(f"{what}: {done:,}/{total:,} in {report.seconds:.0f} s "
                  f"({done / max(report.seconds, 1e-6):,.0f} rows/s)", file=sys.stderr,
                  flush=True)

    return progress


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _now() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())


def counts(app: Any) -> dict[str, int]:
    """Rows per sales table (and customers)."""
    from plugins.sales.models import MODELS

    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        found = {"customers_customer": session.scalar(text(
            "SELECT count(*) FROM customers_customer")) or 0}
        for model in MODELS:
            found[model.__tablename__] = session.scalar(
                select(func.count()).select_from(model)) or 0
        session.close()
    return found


def main(argv: list[str] | None = None) -> int:
    """Build (or finish building) the data set and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--opportunities", type=int, default=None,
                        help="default: 2 per customer")
    parser.add_argument("--orders", type=int, default=None, help="default: 1 per customer")
    parser.add_argument("--lines", type=float, default=5.0, help="lines per order (mean)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--database-url", default=None,
                        help="a PostgreSQL database the benchmark owns (default: SQLite)")
    parser.add_argument("--fresh", action="store_true", help="drop and rebuild everything")
    parser.add_argument("--customers-only", action="store_true")
    args = parser.parse_args(argv)
    url = database_url(args.database_url, args.customers)
    if args.customers_only:
        app = make_app(url)
        marker = marker_path(url, args.customers)
        built = {} if args.fresh else _read(marker)
        if not built.get("users"):
            marker.unlink(missing_ok=True)
            _empty(url)
            built = {}
        from crm_core.migrate import upgrade

        with app.app_context():
            upgrade(app)
        if not built.get("users"):
            _users(app)
            built["users"] = True
            _save(marker, built)
        if "customers" not in built:
            built["customers"] = _customers(app, args.customers, args.seed)
            _save(marker, built)
        print(json.dumps(built, indent=2, ensure_ascii=False))
        return 0
    app, built = build(url, args.customers,
                       args.opportunities if args.opportunities is not None
                       else 2 * args.customers,
                       args.orders if args.orders is not None else args.customers,
                       args.lines, args.seed, args.fresh)
    print(json.dumps({"built": built, "counts": counts(app)}, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
