"""The analytics benchmark (issue 15, item 9): every analysis chart and a saved report from
the rollups, an ad-hoc two-dimension query over a year, a full rebuild of the rollups and
customer value (RFM and churn risk), at a million customers, a million orders (five
million lines) and two million tickets.

    nice -n 10 .venv/bin/python bench/analytics.py [--customers 1000000] [--orders N]
        [--lines 5] [--tickets N] [--runs 20] [--database-url URL] [--fresh]

``--orders`` defaults to one per customer, ``--tickets`` to two per customer. The data set
is built once and reused (SQLite ``bench/.data/analytics-<customers>.sqlite``, or the
PostgreSQL database named by ``--database-url``, whose ``public`` schema a fresh build
empties; the JSON marker ``bench/.data/analytics-<kind>-<customers>.built.json`` records
the finished stages): an administrator and 20 sales reps in 4 departments
(``bench/_customers_build.py``), a service team of four of them, customers from
``crm seed``'s fast path, orders (a tenth as many opportunities) from the sales plugin's
bulk demo and requests with their tickets from the service plugin's. Then, in this order:

1. the full rebuild of every rollup (``crm analytics rebuild``), timed once;
2. customer value over every customer (``crm analytics value``), timed once;
3. as the administrator and as ``sales00`` (a rep: their own figures): every chart of the
   analysis pages through ``POST /api/v1/analytics/query`` for this year, a saved report's
   data (``GET /api/v1/analytics/reports/<id>/data``), two ad-hoc queries of two non-date
   dimensions over a year (owner × region of orders: the region rollups keep the owner;
   priority × type of tickets: a pair the service plugin declares, rolled up per month),
   each page and the customer value pages, ``--runs`` runs after 2 warm-ups, p50 / p95 in
   ms, server side (Flask's test client in-process), with the CPU time per call of this
   process (the database is SQLite in-process: a figure the load of a shared machine
   disturbs less than the wall time) and the load average when the figure was taken;
4. with ``--verify``, ``crm analytics verify`` (timed once).

Prints a Markdown table with the machine and date and writes JSON to
``bench/.data/analytics-results-<kind>-<customers>.json``. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _customers_measure import timed  # noqa: E402

DATA = ROOT / "bench" / ".data"
PLUGINS = ["customers", "sales", "service", "analytics"]
TEAM = 4  # sales reps who also answer tickets (the service bulk demo needs a team)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def make_app(url: str) -> Any:
    """The app with customers, sales, service and analytics on ``url``."""
    from crm_core.app import create_app
    from crm_core.testing import test_config

    instance = DATA / f"analytics-instance-{make_url(url).get_backend_name()}"
    instance.mkdir(parents=True, exist_ok=True)
    return create_app(test_config(instance, url, PLUGINS, CRM_LOG_LEVEL="WARNING",
                                  CRM_API_RATE_LIMIT="1000000 per minute"))


def _users(app: Any) -> None:
    """``bench-admin``, ``sales00`` … ``sales19`` in 4 departments; a team of the first
    four, who also hold the service role."""
    from _customers_build import _users as sales_users
    from _staff import service_team
    from sqlalchemy import select

    from crm_core.auth.models import User

    with app.app_context():
        sales_users(app)
        session = app.extensions["crm_db"].new_session()
        members = list(session.scalars(select(User).where(User.username.like("sales%"))
                                       .order_by(User.username).limit(TEAM)))
        service_team(session, "客服一线", members, roles=["sales", "service"])
        session.commit()
        session.close()


def _stage(app: Any, stage: str, wanted: dict[str, Any]) -> dict[str, Any]:
    from flask_babel import force_locale

    from plugins.customers.demo import seed as customer_demo
    from plugins.sales.demo import bulk as sales_bulk
    from plugins.service.demo import SUBJECTS
    from plugins.service.demo.bulk import fill as service_fill

    began = time.perf_counter()
    with app.app_context(), force_locale("zh_CN"):
        session = app.extensions["crm_db"].new_session()
        if stage == "customers":
            rows: Any = customer_demo.fill(session, wanted["customers"], seed=wanted["seed"],
                                           records_per_customer=1.0).customers
        elif stage == "sales":
            rows = sales_bulk.fill(session, opportunities=wanted["orders"] // 10,
                                   orders=wanted["orders"], lines_per_order=wanted["lines"],
                                   seed=wanted["seed"], add=False, progress=_say).tables
        else:
            rows = service_fill(session, requests=wanted["tickets"], subjects=SUBJECTS,
                                add=False, progress=_say).tables
        session.close()
    seconds = round(time.perf_counter() - began, 1)
    _say(f"{stage}: {rows} in {seconds} s")
    return {"rows": rows, "seconds": seconds}


def build(url: str, wanted: dict[str, Any], fresh: bool) -> tuple[Any, dict[str, Any]]:
    """The app on the data set, every missing stage built; returns it and the marker."""
    from crm_core.migrate import upgrade

    DATA.mkdir(parents=True, exist_ok=True)
    marker = DATA / f"analytics-{make_url(url).get_backend_name()}-{wanted['customers']}" \
                    ".built.json"
    built = {} if fresh or not marker.exists() else json.loads(marker.read_text())
    if not built.get("users") or built.get("wanted") != wanted:
        from _resources_build import _empty

        marker.unlink(missing_ok=True)
        _empty(url)
        built = {"wanted": wanted}
    app = make_app(url)
    with app.app_context():
        upgrade(app)
    if not built.get("users"):
        _users(app)
        built["users"] = True
    for stage in ("customers", "sales", "tickets"):
        if stage not in built:
            built[stage] = _stage(app, stage, wanted)
            marker.write_text(json.dumps(built, indent=2, ensure_ascii=False))
    marker.write_text(json.dumps(built, indent=2, ensure_ascii=False))
    return app, built


def _once(app: Any, name: str, limit_s: float, work: Any) -> dict[str, Any]:
    """Time one run of ``work(session)`` (committed) in seconds."""
    from crm_core.toolkit import system_context

    load = os.getloadavg()[0]
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        began, cpu = time.perf_counter(), time.process_time()
        with system_context("analytics benchmark"):
            note = work(session)
        session.commit()
        seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
        session.close()
    figure = {"name": name, "target": f"≤ {limit_s:g} s", "p50": None,
              "p95": round(seconds * 1000, 1), "met": "yes" if seconds <= limit_s else "no",
              "cpu_ms": round(cpu * 1000, 1), "load": round(load, 1), "note": note}
    _say(row(figure))
    return figure


class Run:
    """The figures of one user (administrator or rep)."""

    def __init__(self, app: Any, username: str, runs: int, figures: list[dict[str, Any]]
                 ) -> None:
        from sqlalchemy import select

        from crm_core.auth.models import User
        from crm_core.testing_clients import bearer_token, login

        self.app, self.runs, self.figures = app, runs, figures
        with app.app_context():
            session = app.extensions["crm_db"].new_session()
            self.user = session.scalars(select(User).where(User.username == username)).one()
            session.close()
        self.label = "admin" if self.user.is_superuser else "rep"
        self.page = login(app.test_client(), self.user)
        self.api = app.test_client()
        self.api.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {bearer_token(app, self.user)}"

    def figure(self, name: str, limit: float, call: Any, ok: tuple[int, ...] = (200,)
               ) -> None:
        """Time ``call()`` (one request) when it answers ``ok``; record the figure."""
        figure = {"name": f"{name} ({self.label})", "target": f"≤ {limit:g} ms p95",
                  "p50": None, "p95": None, "met": "–", "cpu_ms": None,
                  "load": round(os.getloadavg()[0], 1), "note": ""}
        try:
            answer = call()
            if answer.status_code not in ok:
                figure["note"] = f"HTTP {answer.status_code}: " \
                                 f"{answer.get_data(as_text=True)[:100]}"
            else:
                cpu = time.process_time()
                figure["p50"], figure["p95"] = timed(call, self.runs)
                # timed() makes 2 warm-up calls besides the runs
                figure["cpu_ms"] = round((time.process_time() - cpu) * 1000
                                         / (self.runs + 2), 1)
                figure["met"] = "yes" if figure["p95"] <= limit else "no"
        except Exception as error:  # noqa: BLE001 - a part still being written: report, go on
            figure["note"] = f"error: {type(error).__name__}: {str(error)[:120]}"
        self.figures.append(figure)
        _say(row(figure))

    def query(self, source: str, measure: str, dimensions: list[str],
              year: tuple[str, str]) -> Any:
        """``POST /api/v1/analytics/query`` over ``year``."""
        return self.api.post("/api/v1/analytics/query", json={
            "source": source, "measure": measure, "dimensions": dimensions,
            "filters": {"date_from": year[0], "date_to": year[1]}})

    def measure(self, year: tuple[str, str]) -> None:
        """Every chart, a saved report, the ad-hoc query, the pages."""
        from plugins.analytics.views import PAGES

        with self.app.app_context():
            for page in PAGES.values():
                for chart in page.charts:
                    self.figure(f"Chart {page.id}/{chart.id} ({chart.source} {chart.measure} "
                                f"by {chart.dimension}), a year", 100,
                                lambda c=chart: self.query(c.source, c.measure, [c.dimension],
                                                           year))
        created = self.api.post("/api/v1/analytics/reports", json={
            "title": f"月度收入 {self.label}", "source": "sales.order_lines",
            "measure": "sum_total", "dimensions": ["month", "product"], "chart": "bar"})
        if created.status_code == 201:
            report = created.get_json()["id"]
            self.figure("Saved report (revenue by month × product), its data", 100,
                        lambda: self.api.get(f"/api/v1/analytics/reports/{report}/data"
                                             f"?date_from={year[0]}&date_to={year[1]}"))
        else:
            self.figures.append({"name": f"Saved report ({self.label})", "target": "≤ 100 ms",
                                 "p50": None, "p95": None, "met": "–",
                                 "note": f"not available: HTTP {created.status_code}"})
        self.figure("Ad-hoc query: revenue by owner × region, a year", 300,
                    lambda: self.query("sales.orders", "sum_total", ["owner", "region"], year))
        self.figure("Ad-hoc query: tickets by priority × type, a year", 300,
                    lambda: self.query("service.tickets", "count", ["priority", "ticket_type"],
                                       year))
        for path in ("/analytics/sales", "/analytics/service", "/analytics/customers",
                     "/analytics/value", "/analytics/value/segments/important_value",
                     "/analytics/value/churn/high"):
            self.figure(f"Page {path}", 500, lambda path=path: self.page.get(path))


def row(figure: dict[str, Any]) -> str:
    """One Markdown table row."""
    def ms(value: float | None) -> str:
        return "–" if value is None else f"{value:,.1f}"

    return (f"| {figure['name']} | {figure['target']} | {ms(figure['p50'])} | "
            f"{ms(figure['p95'])} | {ms(figure.get('cpu_ms'))} | {figure.get('load', '–')} | "
            f"{figure['met']} | {figure['note']} |")


def _rebuild(session: Any) -> str:
    from plugins.analytics.rollups import rebuild

    written = rebuild(session)
    return ", ".join(f"{key}: {count:,} rows" for key, count in written.items())


def _verify(session: Any) -> str:
    from plugins.analytics.rollups import verify

    return f"{len(verify(session))} differences"


def _value(session: Any) -> str:
    from plugins.analytics.value.compute import compute

    return f"{compute(session):,} customers with a value"


def main(argv: list[str] | None = None) -> int:
    """Build (or reuse) the data set, measure, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=None, help="default: 1 per customer")
    parser.add_argument("--lines", type=float, default=5.0, help="lines per order (mean)")
    parser.add_argument("--tickets", type=int, default=None, help="default: 2 per customer")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--database-url", default=None,
                        help="a PostgreSQL database the benchmark owns (default: SQLite)")
    parser.add_argument("--fresh", action="store_true", help="drop and rebuild everything")
    parser.add_argument("--verify", action="store_true", help="time crm analytics verify too")
    args = parser.parse_args(argv)
    wanted = {"customers": args.customers, "orders": args.orders or args.customers,
              "lines": args.lines, "tickets": args.tickets or 2 * args.customers,
              "seed": args.seed}
    url = args.database_url or f"sqlite:///{DATA / f'analytics-{args.customers}.sqlite'}"
    began = time.perf_counter()
    app, built = build(url, wanted, args.fresh)
    _say(f"data set ready in {time.perf_counter() - began:.0f} s")
    figures = [_once(app, "Full rebuild of every rollup", 300, _rebuild),
               _once(app, f"Customer value (RFM + churn) over {args.customers:,} customers",
                     120 * args.customers / 1_000_000, _value)]
    if args.verify:
        figures.append(_once(app, "crm analytics verify", 300, _verify))
    this_year = dt.date.today().year
    year = (f"{this_year}-01-01", f"{this_year}-12-31")
    for username in ("bench-admin", "sales00"):
        Run(app, username, args.runs, figures).measure(year)
    kind = make_url(url).get_backend_name()
    header = (f"Analytics benchmark, {kind}, {args.customers:,} customers, "
              f"{wanted['orders']:,} orders × {args.lines:g} lines, {wanted['tickets']:,} "
              f"tickets; {platform.machine()} {os.cpu_count()} CPUs, Python "
              f"{platform.python_version()}, load {os.getloadavg()[0]:.2f}, "
              f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(header)
    print("\n| figure | target | p50 ms | p95 ms (once: ms) | CPU ms (per call) | load | met "
          "| note |")
    print("|---|---|---|---|---|---|---|---|")
    for figure in figures:
        print(row(figure))
    out = DATA / f"analytics-results-{kind}-{args.customers}.json"
    out.write_text(json.dumps({"header": header, "built": built, "figures": figures},
                              indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
