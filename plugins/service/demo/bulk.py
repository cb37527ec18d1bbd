"""Writing service demo data in bulk: ``fill`` adds requests, each with its first ticket
(and a satisfaction survey for part of the resolved ones), for the existing customers and
teams, at millions of rows; then rebuilds the service aggregates and analyses the tables.

Rows go in through the driver, ``executemany`` on SQLite and ``COPY`` on PostgreSQL, one
transaction per batch (a stopped build leaves whole batches), as sales' bulk demo does. Ids
are taken up front; request numbers come from the kernel's number series for each request's
own month, in the same transaction, so numbers handed out later never clash. Due and warning
times are those of the SLA policies on the working calendar, from each request's receipt.

What it makes: 95 % of the tickets settled (resolved or closed) over the last year, met or
missed by when they were answered and resolved; 5 % open, received in the last ten days, in
every open state, their SLA state as the beat's sweep left it an hour before (due soon or
breached, no notices: the next sweep finds what crossed a line since); a quarter of the
settled ones surveyed and 60 % of those answered (1–5 stars). Ticket and assignee follow
the active teams and their members (the demo team is made when there is none).
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import String, Text, select, text
from sqlalchemy.orm import Session

from crm_core.toolkit import analyze, model_for_table, next_number, utcnow
from plugins.customers.services import CUSTOMER_TABLE

from ..models import CHANNELS, REQUEST_TYPES, ServiceRequest, Survey, Team, TeamMember, Ticket
from ..requests.services import NUMBER_KEY, NUMBER_PATTERN
from ..tickets.due import WARN_SHARE, find_policy, working_calendar

BATCH = 20_000
TABLES = ("service_request", "service_ticket", "service_survey")
#: (state, weight per thousand): 5 % open, the rest settled
STATES = (("new", 10), ("assigned", 10), ("in_progress", 20), ("waiting_on_customer", 10),
          ("resolved", 150), ("closed", 800))
PRIORITIES = (("urgent", 5), ("high", 20), ("normal", 60), ("low", 15))
STARS = ((5, 45), (4, 30), (3, 12), (2, 7), (1, 6))
SURVEYED, ANSWERED = 0.25, 0.6
#: open tickets are stored as the beat's sweep left them this long before the load
SWEPT_BEFORE = dt.timedelta(hours=1)

REQUEST_COLUMNS = ("id", "number", "type", "channel", "customer_id", "subject", "content",
                   "priority", "received_at", "owner_id", "department_id", "created_at",
                   "updated_at")
TICKET_COLUMNS = ("id", "request_id", "number", "customer_id", "subject", "state", "priority",
                  "team_id", "assignee_id", "department_id", "first_response_due",
                  "resolution_due", "first_response_warn_at", "resolution_warn_at",
                  "first_responded_at", "resolved_at", "closed_at", "sla_state", "version",
                  "created_at", "updated_at")
SURVEY_COLUMNS = ("id", "ticket_id", "team_id", "agent_id", "customer_id", "department_id",
                  "sent_to", "sent_at", "expires_at", "answered_at", "stars", "resolved",
                  "created_at", "updated_at")


@dataclass
class FillReport:
    """Rows added per table, and the seconds spent."""

    tables: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 0))
    seconds: float = 0.0


def _weighted(rng: random.Random, pairs: Sequence[tuple[Any, int]]) -> Any:
    return rng.choices([value for value, _weight in pairs],
                       [weight for _value, weight in pairs])[0]


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):  # as SQLAlchemy stores it: naive UTC, microseconds
        return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    if isinstance(value, bool):
        return int(value)
    return value


def _padded(model: type, columns: Sequence[str]) -> tuple[str, ...]:
    """The required text columns ``columns`` leaves out (written as empty strings: columns
    other features added, such as a requester's name, that demo rows leave blank)."""
    extra = []
    for column in model.__table__.columns:
        if column.name in columns or column.nullable or column.server_default is not None:
            continue
        if not isinstance(column.type, String | Text):
            raise RuntimeError(f"bulk demo: {model.__tablename__}.{column.name} needs a value")
        extra.append(column.name)
    return tuple(extra)


def write(session: Session, model: type, columns: Sequence[str],
          rows: list[tuple[Any, ...]]) -> None:
    """Insert plain tuples through the driver: ``COPY`` on PostgreSQL, ``executemany`` on
    SQLite (datetimes and booleans converted as SQLAlchemy stores them)."""
    if not rows:
        return
    padding = _padded(model, columns)
    columns, blanks = (*columns, *padding), ("",) * len(padding)
    connection = session.connection()
    names, table = ", ".join(columns), model.__tablename__
    if connection.dialect.name == "postgresql":
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row((*row, *blanks))
        return
    marks = ", ".join("?" * len(columns))
    connection.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({marks})",
                               [tuple(_sqlite_value(value) for value in (*row, *blanks))
                                for row in rows])


def _allocate(session: Session, table: str, count: int) -> int:
    """The first of ``count`` new ids of ``table`` (its sequence advanced on PostgreSQL)."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        return int(connection.exec_driver_sql(
            f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) "
            f"FROM generate_series(1, {int(count)})").scalars().all()[0])
    return int(connection.exec_driver_sql(
        f"SELECT coalesce(max(id), 0) FROM {table}").scalar()) + 1


@dataclass
class _Context:
    customers: list[int]
    teams: list[tuple[int, int, list[int]]]  # (team, department, member ids)
    targets: dict[str, tuple[int, int] | None]  # priority → (first response, resolution)
    subjects: list[str]
    now: dt.datetime


def _context(session: Session, subjects: Sequence[str]) -> _Context | None:
    customer = model_for_table(CUSTOMER_TABLE)
    customers = list(session.scalars(select(customer.id).where(customer.deleted_at.is_(None))
                                      .order_by(customer.id)))
    teams = []
    for team_id, department_id in session.execute(
            select(Team.id, Team.department_id).where(Team.is_active.is_(True))
            .order_by(Team.id)):
        members = list(session.scalars(select(TeamMember.user_id)
                                       .where(TeamMember.team_id == team_id)))
        teams.append((team_id, department_id, members))
    if not customers or not teams:
        return None
    targets = {}
    for priority, _weight in PRIORITIES:
        policy = find_policy(session, priority)
        targets[priority] = None if policy is None else (policy.first_response_minutes,
                                                         policy.resolution_minutes)
    return _Context(customers, teams, targets, [_(subject) for subject in subjects], utcnow())


class _Filler:
    def __init__(self, session: Session, context: _Context, seed: int) -> None:
        self.session, self.context, self.seed = session, context, seed
        self.calendar = working_calendar(session)

    def _times(self, rng: random.Random, state: str, start: dt.datetime,
               targets: tuple[int, int] | None) -> dict[str, Any]:
        add, now = self.calendar.add_working_minutes, self.context.now
        first, resolution = targets or (240, 1440)
        found: dict[str, Any] = {"state": state, "sla_state": "ok" if targets else "none"}
        if targets:
            found.update(first_response_due=add(start, first),
                         resolution_due=add(start, resolution),
                         first_response_warn_at=add(start, int(first * WARN_SHARE)),
                         resolution_warn_at=add(start, int(resolution * WARN_SHARE)))
        if state in ("new", "assigned"):
            return self._swept(found)
        found["first_responded_at"] = min(add(start, int(first * rng.uniform(0.1, 1.4))), now)
        if state in ("in_progress", "waiting_on_customer"):
            return self._swept(found)
        resolved = max(add(start, int(resolution * rng.uniform(0.2, 1.3))),
                       found["first_responded_at"])
        if resolved > now:  # not done yet: still being worked
            found["state"] = "in_progress"
            return self._swept(found)
        found["resolved_at"] = resolved
        if targets:
            late = resolved > found["resolution_due"] or \
                found["first_responded_at"] > found["first_response_due"]
            found["sla_state"] = "missed" if late else "met"
        closed = resolved + dt.timedelta(days=2)
        if state == "closed" and closed <= now:
            found["closed_at"] = closed
        elif state == "closed":
            found["state"] = "resolved"
        return found

    def _swept(self, found: dict[str, Any]) -> dict[str, Any]:
        """An open ticket's SLA state as the beat would have stored it an hour ago (due soon
        or breached; its notices not sent): a loaded backlog is not all new to the sweep."""
        if found["sla_state"] != "ok":
            return found
        moment, unanswered = self.context.now - SWEPT_BEFORE, "first_responded_at" not in found
        if found["resolution_due"] <= moment or (
                unanswered and found["first_response_due"] <= moment):
            found["sla_state"] = "breached"
        elif found["resolution_warn_at"] <= moment or (
                unanswered and found["first_response_warn_at"] <= moment):
            found["sla_state"] = "warning"
        return found

    def batch(self, first: int, count: int, report: FillReport) -> None:
        """Requests ``first`` … ``first + count - 1`` (by index), one transaction."""
        rng = random.Random(self.seed * 1_000_003 + first)
        context, now = self.context, self.context.now
        request_id = _allocate(self.session, "service_request", count)
        ticket_id = _allocate(self.session, "service_ticket", count)
        survey_id = None
        rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in TABLES}
        for offset in range(count):
            state = _weighted(rng, STATES)
            priority = _weighted(rng, PRIORITIES)
            team_id, department_id, members = rng.choice(context.teams)
            settled = state in ("resolved", "closed")
            back = rng.uniform(1, 365) if settled else rng.uniform(0.01, 10)
            received = now - dt.timedelta(days=back)
            times = self._times(rng, state, received, context.targets[priority])
            assignee = rng.choice(members) if members and times["state"] != "new" else None
            customer_id, subject = rng.choice(context.customers), rng.choice(context.subjects)
            number = next_number(self.session, NUMBER_KEY, NUMBER_PATTERN, when=received)
            changed = max(value for value in (received, times.get("first_responded_at"),
                                              times.get("resolved_at"),
                                              times.get("closed_at")) if value is not None)
            rows["service_request"].append((
                request_id + offset, number, rng.choice(REQUEST_TYPES), rng.choice(CHANNELS),
                customer_id, subject, "", priority, received, assignee, department_id,
                received, received))
            rows["service_ticket"].append((
                ticket_id + offset, request_id + offset, f"{number}-1", customer_id, subject,
                times["state"], priority, team_id, assignee, department_id,
                times.get("first_response_due"), times.get("resolution_due"),
                times.get("first_response_warn_at"), times.get("resolution_warn_at"),
                times.get("first_responded_at"), times.get("resolved_at"),
                times.get("closed_at"), times["sla_state"], 1, received, changed))
            resolved = times.get("resolved_at")
            if resolved is not None and rng.random() < SURVEYED:
                answered = resolved + dt.timedelta(hours=rng.uniform(1, 48))
                stars = _weighted(rng, STARS) if rng.random() < ANSWERED and answered <= now \
                    else None
                rows["service_survey"].append((
                    len(rows["service_survey"]), ticket_id + offset, team_id, assignee,
                    customer_id, department_id, "kehu@example.com", resolved,
                    resolved + dt.timedelta(days=7), answered if stars else None, stars,
                    (stars or 0) >= 3 if stars else None, resolved, answered if stars
                    else resolved))
        if rows["service_survey"]:
            survey_id = _allocate(self.session, "service_survey", len(rows["service_survey"]))
            rows["service_survey"] = [(survey_id + row[0], *row[1:])
                                      for row in rows["service_survey"]]
        for model, columns in ((ServiceRequest, REQUEST_COLUMNS), (Ticket, TICKET_COLUMNS),
                               (Survey, SURVEY_COLUMNS)):
            write(self.session, model, columns, rows[model.__tablename__])
            report.tables[model.__tablename__] += len(rows[model.__tablename__])
        self.session.commit()


def fill(session: Session, *, requests: int, subjects: Sequence[str], seed: int = 2026,
         add: bool = True, batch: int = BATCH,
         progress: Callable[[str], None] | None = None) -> FillReport:
    """Add ``requests`` demo requests with their tickets (see the module docstring); commits
    every batch. ``add=False`` makes ``requests`` a total: what exists counts (a resumed
    build). Needs customers and an active team; ends with the aggregates rebuilt and the
    tables analysed."""
    from ..aggregates.rebuild import rebuild

    report, began = FillReport(), time.perf_counter()
    say = progress or (lambda message: print(message, file=sys.stderr, flush=True))
    context = _context(session, subjects)
    if context is None:
        say("service demo data: no customers or no active team, nothing added")
        return report
    have = int(session.execute(text("SELECT count(*) FROM service_request")).scalar() or 0)
    end = have + requests if add else max(requests, have)
    filler = _Filler(session, context, seed)
    for first in range(have, end, batch):
        step = time.perf_counter()
        filler.batch(first, min(batch, end - first), report)
        say(f"service demo data: requests {min(first + batch, end):,}/{end:,} in "
            f"{time.perf_counter() - step:.1f} s, {time.perf_counter() - began:.0f} s in all")
    step = time.perf_counter()
    written = rebuild(session)
    session.commit()
    say(f"service aggregates rebuilt in {time.perf_counter() - step:.1f} s: {written}")
    analyze([*TABLES, "service_ticket_monthly_total", "service_survey_monthly_total"],
            session=session)
    session.commit()
    report.seconds = time.perf_counter() - began
    return report
