"""The service benchmark (issue 13): queue views, the ticket page, posting a reply, every
service widget and the SLA sweep, at a million customers and two million tickets.

    nice -n 10 .venv/bin/python bench/service.py [--scale 1.0] [--runs 20]
        [--database-url URL] [--fresh]

``--scale`` multiplies the data set (1.0: 1,000,000 customers, 2,000,000 requests with one
ticket each; 0.1: a tenth). The data set is built once and reused (SQLite
``bench/.data/service-<customers>.sqlite``, or the PostgreSQL database named by
``--database-url``, whose ``public`` schema a fresh build empties; the JSON marker
``bench/.data/service-<kind>-<customers>.built.json`` records the finished stages): an
administrator, two service departments each with a team of ten agents (``agent00`` …),
customers from ``crm seed``'s fast path (one contact record each), then requests and tickets
from the service plugin's bulk demo (``plugins/service/demo/bulk.py``: 95 % settled over a
year, 5 % open, surveys for a quarter of the settled), which ends by rebuilding the kept
aggregates. Each figure is timed server side through Flask's test client in-process,
``--runs`` runs after 2 warm-ups, p50 / p95 in ms, as the administrator and as ``agent00``
(department scope). Then the SLA sweep over the open tickets (as ``bench/service_sweep.py``
times it). Prints a Markdown table and writes JSON to
``bench/.data/service-results-<kind>-<customers>.json``. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import base64
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
from service_sweep import timed_sweep  # noqa: E402

DATA = ROOT / "bench" / ".data"
PLUGINS = ["customers", "service"]
DEPARTMENTS = ("客服一部", "客服二部")
AGENTS_PER_TEAM = 10
WIDGETS = ("service.open_tickets", "service.workload", "service.sla_attainment",
           "service.response_times", "service.satisfaction", "service.backlog_age")


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def make_app(url: str) -> Any:
    """The app with customers and service on ``url``."""
    from crm_core.app import create_app
    from crm_core.testing import test_config

    instance = DATA / f"service-instance-{make_url(url).get_backend_name()}"
    instance.mkdir(parents=True, exist_ok=True)
    return create_app(test_config(instance, url, PLUGINS, CRM_LOG_LEVEL="WARNING",
                                  CRM_API_RATE_LIMIT="1000000 per minute"))


def _users(app: Any) -> None:
    """The administrator and two departments each with a team of agents."""
    from _staff import PASSWORD, department_staff, service_team

    from crm_core.auth.service import create_user

    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        create_user(session, "bench-admin", PASSWORD, superuser=True)
        for index, name in enumerate(DEPARTMENTS):
            agents = department_staff(
                session, name, [f"agent{index * AGENTS_PER_TEAM + number:02d}"
                                for number in range(AGENTS_PER_TEAM)], ["service"])
            service_team(session, f"{name}一线", agents)
        session.commit()
        session.close()


def build(url: str, customers: int, tickets: int, fresh: bool) -> tuple[Any, dict[str, Any]]:
    """The app on the data set, every missing stage built; returns it and the marker."""
    from flask_babel import force_locale

    from crm_core.migrate import upgrade
    from plugins.customers.demo import seed as customer_demo
    from plugins.service.demo import SUBJECTS
    from plugins.service.demo.bulk import fill

    marker = DATA / f"service-{make_url(url).get_backend_name()}-{customers}.built.json"
    built = {} if fresh or not marker.exists() else json.loads(marker.read_text())
    if not built.get("users"):
        from _resources_build import _empty

        marker.unlink(missing_ok=True)
        _empty(url)
        built = {}
    app = make_app(url)
    with app.app_context():
        upgrade(app)
    if not built.get("users"):
        _users(app)
        built["users"] = True
    for stage in ("customers", "tickets"):
        if stage in built:
            continue
        began = time.perf_counter()
        with app.app_context(), force_locale("zh_CN"):
            session = app.extensions["crm_db"].new_session()
            if stage == "customers":
                report = customer_demo.fill(session, customers, records_per_customer=1.0)
                rows = report.customers
            else:
                report = fill(session, requests=tickets, subjects=SUBJECTS, add=False,
                              progress=_say)
                rows = report.tables
            session.close()
        built[stage] = {"rows": rows, "seconds": round(time.perf_counter() - began, 1)}
        _say(f"{stage}: {rows} in {built[stage]['seconds']} s")
        marker.write_text(json.dumps(built, indent=2, ensure_ascii=False))
    marker.write_text(json.dumps(built, indent=2, ensure_ascii=False))
    return app, built


class Run:
    """The figures of one user (administrator or agent)."""

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
        self.label = "admin" if self.user.is_superuser else "agent"
        self.page = login(app.test_client(), self.user)
        self.api = app.test_client()
        self.api.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {bearer_token(app, self.user)}"

    def figure(self, name: str, limit: float, call: Any, ok: tuple[int, ...] = (200,)
               ) -> None:
        """Time ``call()`` (one request) when it answers ``ok``; record the figure."""
        figure = {"name": f"{name} ({self.label})", "target": f"≤ {limit:g} ms p95",
                  "p50": None, "p95": None, "met": "–", "note": ""}
        try:
            answer = call()
            if answer.status_code not in ok:
                figure["note"] = f"HTTP {answer.status_code}: " \
                                 f"{answer.get_data(as_text=True)[:100]}"
            else:
                figure["p50"], figure["p95"] = timed(call, self.runs)
                figure["met"] = "yes" if figure["p95"] <= limit else "no"
        except Exception as error:  # noqa: BLE001 - a part still being written: report, go on
            figure["note"] = f"error: {type(error).__name__}: {str(error)[:120]}"
        self.figures.append(figure)
        _say(row(figure))

    def samples(self) -> dict[str, Any]:
        """A visible ticket in the middle, and the cursor of a page 99 % deep."""
        first = self.api.get("/api/v1/service/tickets?limit=50").get_json()
        items, cursor = first["items"], first.get("next_cursor")
        total = self._count()
        deep_id = max(items[-1]["id"] - int(total * 0.98), 1) if items else 1
        deep = None
        if cursor:
            key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
            last = items[-1]["id"]
            deep = base64.urlsafe_b64encode(json.dumps(
                [deep_id if value == last else value for value in key],
                separators=(",", ":")).encode()).decode().rstrip("=")
        replied = None  # a reply needs a customer with an e-mail address: the first such
        for item in items[:20]:
            answer = self.api.post(f"/api/v1/service/tickets/{item['id']}/replies",
                                   json={"body": "您好，已收到。", "kind": "reply"})
            if answer.status_code in (200, 201):
                replied = item["id"]
                break
        return {"ticket": items[len(items) // 2]["id"] if items else None, "deep": deep,
                "replied": replied or (items[0]["id"] if items else None)}

    def _count(self) -> int:
        from sqlalchemy import func, select

        from plugins.service.models import Ticket

        with self.app.app_context():
            session = self.app.extensions["crm_db"].new_session()
            found = int(session.scalar(select(func.count()).select_from(Ticket)) or 0)
            session.close()
        return found

    def measure(self) -> None:
        """Queues, the ticket, a reply, every widget."""
        s, page, api = self.samples(), self.page, self.api
        self.figure("Ticket list page, first page", 50, lambda: page.get("/service/tickets"))
        if s["deep"]:
            self.figure("Ticket list page, deep page (99 %, cursor)", 50,
                        lambda: page.get(f"/service/tickets?cursor={s['deep']}"))
            self.figure("API tickets, deep page (99 %, cursor)", 20,
                        lambda: api.get(f"/api/v1/service/tickets?limit=50&cursor={s['deep']}"))
        for state in ("new", "in_progress", "resolved"):
            self.figure(f"API queue `?state={state}`, first page", 20,
                        lambda state=state: api.get(
                            f"/api/v1/service/tickets?state={state}&limit=50"))
        ticket = s["ticket"]
        self.figure("Ticket page", 50, lambda: page.get(f"/service/tickets/{ticket}"))
        self.figure("API ticket", 20, lambda: api.get(f"/api/v1/service/tickets/{ticket}"))
        replies = f"/api/v1/service/tickets/{ticket}/replies"
        self.figure("API post a note to the ticket", 20, lambda: api.post(
            replies, json={"body": "已电话回访客户，问题已记录。", "kind": "note"}), ok=(200, 201))
        replied = f"/api/v1/service/tickets/{s['replied']}/replies"
        self.figure("API post a reply (mail queued in the outbox)", 20, lambda: api.post(
            replied, json={"body": "您好，我们已收到您的反馈，正在处理。", "kind": "reply"}),
            ok=(200, 201))
        for widget in WIDGETS:
            self.figure(f"Widget `{widget}`", 100,
                        lambda widget=widget: api.get(f"/api/v1/widgets/{widget}"))


def row(figure: dict[str, Any]) -> str:
    """One Markdown row."""
    value = "–" if figure["p50"] is None else f"{figure['p50']:.1f} / {figure['p95']:.1f} ms"
    return f"| {figure['name']} | {value} | {figure['target']} | {figure['met']} | " \
           f"{figure['note']} |"


def sweep(app: Any, figures: list[dict[str, Any]]) -> None:
    """The SLA sweep now (the open backlog) and the beat's next run five minutes later."""
    from sqlalchemy import func, select

    from plugins.service.models import OPEN_STATES, Ticket

    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        open_ = session.scalar(select(func.count()).select_from(Ticket)
                               .where(Ticket.state.in_(OPEN_STATES)))
        session.close()
    now = dt.datetime.now(dt.UTC)
    for label, moment in (("SLA sweep over the open tickets", now),
                          ("SLA sweep, the beat's next run (+5 min)",
                           now + dt.timedelta(minutes=5))):
        seconds, counts = timed_sweep(app, moment)
        figure = {"name": f"{label} ({open_:,} open)", "target": "≤ 10 s",
                  "p50": seconds * 1000, "p95": seconds * 1000,
                  "met": "yes" if seconds <= 10 else "no",
                  "note": f"{counts['looked_at']:,} looked at, {counts['warned']:,} warned, "
                          f"{counts['breached']:,} breached"}
        figures.append(figure)
        _say(row(figure))


def main(argv: list[str] | None = None) -> int:
    """Build or reuse the data set, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--fresh", action="store_true", help="drop and rebuild the data set")
    args = parser.parse_args(argv)
    customers, tickets = int(1_000_000 * args.scale), int(2_000_000 * args.scale)
    DATA.mkdir(parents=True, exist_ok=True)
    url = args.database_url or f"sqlite:///{DATA / f'service-{customers}.sqlite'}"
    began = time.perf_counter()
    app, built = build(url, customers, tickets, args.fresh)
    _say(f"data set ready in {time.perf_counter() - began:.0f} s: {built}")
    figures: list[dict[str, Any]] = []
    for username in ("bench-admin", "agent00"):
        Run(app, username, args.runs, figures).measure()
    sweep(app, figures)
    kind = make_url(url).get_backend_name()
    head = (f"{kind}, {customers:,} customers, {tickets:,} tickets; {platform.machine()} "
            f"{os.cpu_count()} CPUs, Python {platform.python_version()}, load "
            f"{os.getloadavg()[0]:.1f}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"#### {head}\n\n| figure | p50 / p95 | target | met? | note |\n|---|---|---|---|---|")
    print("\n".join(row(figure) for figure in figures))
    (DATA / f"service-results-{kind}-{customers}.json").write_text(json.dumps(
        {"head": head, "built": built, "figures": figures}, indent=2, ensure_ascii=False))
    app.extensions["crm_db"].engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
