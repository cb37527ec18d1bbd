"""The SLA sweep over many open tickets (issue 13's target: 100,000 open tickets in ≤ 10 s).

    .venv/bin/python bench/service_sweep.py [--tickets 100000] [--database-url URL]

Builds a fresh database (SQLite ``bench/.data/service-sweep.sqlite`` by default; a
PostgreSQL URL names a database the benchmark owns: its ``public`` schema is emptied) with
the customers and service plugins, one team with a lead, and ``--tickets`` open tickets of one
request, inserted in bulk: their due and warning moments spread over the eight working hours
around now, so that about a third have passed their warning moment and a sixth their due
time. Then it times the first sweep (which warns and escalates that backlog at once, writing
the tickets and one summary notification for the lead), the same moment again (the warned
tickets are read again, nothing changes) and the beat's next run five minutes later (what
crossed a threshold meanwhile), and prints each with the counts. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from pathlib import Path

from sqlalchemy import insert, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT / "bench" / ".data"


def make_app(url: str):  # type: ignore[no-untyped-def]
    """A migrated app with customers and service on ``url``."""
    from crm_core.app import create_app
    from crm_core.migrate import upgrade
    from crm_core.testing import test_config

    instance = DATA / "service-sweep-instance"
    instance.mkdir(parents=True, exist_ok=True)
    app = create_app(test_config(instance, url, ["customers", "service"],
                                 CRM_LOG_LEVEL="WARNING"))
    with app.app_context():
        upgrade(app)
    return app


def fill(app, tickets: int, now: dt.datetime) -> None:  # type: ignore[no-untyped-def]
    """One lead, team, customer and request, then ``tickets`` open tickets in bulk."""
    from crm_core.rbac.departments import create_department
    from crm_core.testing import create_test_user
    from plugins.customers.services import create_customer
    from plugins.service.models import ServiceRequest, Team, Ticket

    lead = create_test_user(app, "sweep-lead")
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        department = create_department(session, "客服部")
        session.flush()
        team = Team(name="一线支持", department_id=department.id, lead_id=lead.id)
        customer = create_customer(session, name="华宇科技有限公司")
        request = ServiceRequest(number="SR202612-0001", type="complaint", channel="phone",
                                 customer_id=customer.id, subject="批量工单",
                                 priority="normal", received_at=now)
        session.add_all([team, request])
        session.commit()
        rng, hour = random.Random(2026), dt.timedelta(hours=1)
        rows = []
        for number in range(tickets):
            # due between 2 h ago and 6 h ahead; warned 48 minutes of work before it
            due = now + rng.uniform(-2, 6) * hour
            rows.append({"request_id": request.id, "number": f"T{number:07d}",
                         "customer_id": customer.id, "subject": f"工单 {number}",
                         "state": rng.choice(("new", "assigned", "in_progress")),
                         "priority": "normal", "team_id": team.id,
                         "department_id": department.id,
                         "first_response_due": due - 4 * hour,
                         "first_responded_at": now - 5 * hour,
                         "resolution_due": due, "resolution_warn_at": due - 0.8 * hour,
                         "sla_state": "ok", "version": 1, "created_at": now - 8 * hour,
                         "updated_at": now - 8 * hour})
        for start in range(0, len(rows), 10_000):
            session.execute(insert(Ticket.__table__), rows[start:start + 10_000])
        session.commit()
        session.close()


def timed_sweep(app, now: dt.datetime) -> tuple[float, dict[str, int]]:  # type: ignore[no-untyped-def]
    """Seconds and counts of one sweep, committed."""
    from crm_core.toolkit import get_session
    from plugins.service.tickets.sweep import sweep

    with app.test_request_context():
        session = get_session()
        started = time.perf_counter()
        counts = sweep(session, now=now)
        session.commit()
        return time.perf_counter() - started, counts


def main(argv: list[str] | None = None) -> int:
    """Build, sweep twice, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    DATA.mkdir(parents=True, exist_ok=True)
    url = args.database_url
    if url is None:
        path = DATA / "service-sweep.sqlite"
        for leftover in DATA.glob("service-sweep.sqlite*"):
            leftover.unlink()
        url = f"sqlite:///{path}"
    else:
        from sqlalchemy import create_engine

        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
    now = dt.datetime.now(dt.UTC)
    started = time.perf_counter()
    app = make_app(url)
    fill(app, args.tickets, now)
    print(f"built {args.tickets:,} open tickets in {time.perf_counter() - started:.1f} s")
    five = dt.timedelta(minutes=5)
    for label, moment in (("first sweep (the backlog)", now), ("same moment again", now),
                          ("five minutes later (the beat's next run)", now + five)):
        seconds, counts = timed_sweep(app, moment)
        print(f"{label}: {seconds:.2f} s — {counts['looked_at']:,} looked at, "
              f"{counts['warned']:,} warned, {counts['breached']:,} breached")
    app.extensions["crm_db"].engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
