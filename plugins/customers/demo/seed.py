"""Demo data for ``crm seed``: generated customers, contacts and contact records, inserted in
bulk.

``crm seed --customers N`` calls ``demo_data``, which calls ``fill``; the customers themselves
are made by ``demo_generator`` (``customer_rows`` is re-exported here).

Speed: with more than two batches, a forked process generates the next batches while this one
writes. Customers go in through ``bulk.insert_customers`` (codes, name keys), contacts and
records through the driver's ``executemany`` (``COPY`` on PostgreSQL), then the batch's search
documents are built once, committing every batch. The data is deterministic: the same seed on
the same database gives the same rows.
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_core.toolkit import Model, analyze, plugin_config, utcnow

from ..models import Contact, ContactRecord, Customer, CustomerType, Tag
from ..records import bulk
from ..search import services as search_index
from .generator import DEFAULT_SEED, _Generator, _Plan, customer_rows
from .pools import CUSTOMER_TYPES, TAGS, localized

__all__ = ["DEFAULT_SEED", "FillReport", "customer_rows", "demo_data", "fill"]

BATCH = 5000


def demo_data(size: int, session: Session) -> list[Any]:
    """``crm seed --customers N``: add ``size`` demo customers with contacts and records.

    The seed is the setting ``CRM_CUSTOMERS_DEMO_SEED`` (default 2026). Commits in batches
    and prints progress to stderr; returns nothing to gather.
    """
    seed = int(plugin_config("customers", "demo_seed", DEFAULT_SEED))
    fill(session, size, seed=seed, progress=_print_progress)
    return []


@dataclass
class FillReport:
    """What ``fill`` added, and how long it took."""

    customers: int = 0
    contacts: int = 0
    records: int = 0
    seconds: float = 0.0


def _print_progress(done: int, total: int, report: FillReport) -> None:
    rate = done / report.seconds if report.seconds else 0.0
    print(f"customers demo data: {done:,}/{total:,} customers, {report.contacts:,} contacts, "
          f"{report.records:,} records, {report.seconds:.1f} s ({rate:,.0f} customers/s)",
          file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- writing


def _ensure_types_and_tags(session: Session) -> tuple[list[int], list[int]]:
    """The demo customer types and tags, added through the services when missing."""
    from ..records.services import create_customer_type, create_tag

    type_ids = []
    for name, _weight in CUSTOMER_TYPES:
        found = session.scalar(select(CustomerType.id).where(CustomerType.name == name))
        type_ids.append(found if found is not None
                        else create_customer_type(session, name).id)
    tag_ids = []
    for name, colour in zip(localized(tuple(name for name, _c in TAGS)),
                            (colour for _n, colour in TAGS), strict=True):
        found = session.scalar(select(Tag.id).where(Tag.name == name))
        tag_ids.append(found if found is not None else create_tag(session, name,
                                                                            colour).id)
    return type_ids, tag_ids


def _owners(session: Session) -> list[tuple[int | None, int | None]]:
    users = Model.metadata.tables["core_user"]
    query = select(users.c.id, users.c.department_id).order_by(users.c.id)
    if "is_active" in users.c:
        query = query.where(users.c.is_active.is_(True))
    return [(user_id, department_id) for user_id, department_id in session.execute(query)]


def _allocate(session: Session, table: str, count: int) -> list[int]:
    """``count`` new ids of ``table`` (its sequence on PostgreSQL, after the max on SQLite)."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        return list(connection.exec_driver_sql(
            f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) "
            f"FROM generate_series(1, {int(count)})").scalars())
    start = connection.exec_driver_sql(f"SELECT coalesce(max(id), 0) FROM {table}").scalar()
    return list(range(start + 1, start + 1 + count))


def _sqlite_stamp(moment: dt.datetime) -> str:
    """A UTC datetime as SQLAlchemy stores it on SQLite (naive, with microseconds)."""
    return moment.replace(tzinfo=None).isoformat(" ", "microseconds")


def _sqlite_date(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


def _same(value: Any) -> Any:
    return value


def _write(session: Session, table: str, columns: Sequence[str],
           rows: list[tuple[Any, ...]]) -> None:
    """Insert plain tuples (already in the driver's types) through the driver: ``COPY`` on
    PostgreSQL, ``executemany`` on SQLite (a third faster than Core ``insert()`` with dicts,
    per the measured floor)."""
    if not rows:
        return
    connection = session.connection()
    names = ", ".join(columns)
    if connection.dialect.name == "postgresql":
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" * len(columns))
    connection.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)


_CONTACT_COLUMNS = ("id", "customer_id", "name", "title", "phones", "email", "is_primary",
                    "created_at", "updated_at")
_RECORD_COLUMNS = ("customer_id", "contact_id", "kind", "content", "occurred_at", "user_id",
                   "next_follow_up", "created_at", "updated_at")


def _write_batch(session: Session, plans: list[_Plan], report: FillReport) -> None:
    # Index once, after the contacts, when bulk lets the caller do it (else it indexes too).
    deferred = "index" in inspect.signature(bulk.insert_customers).parameters
    rows = [plan.row for plan in plans]
    ids = (bulk.insert_customers(session, rows, index=False) if deferred
           else bulk.insert_customers(session, rows))
    contact_ids = iter(_allocate(session, Contact.__tablename__,
                                 sum(len(plan.contacts) for plan in plans)))
    sqlite = session.connection().dialect.name == "sqlite"
    stamp, day = (_sqlite_stamp, _sqlite_date) if sqlite else (_same, _same)
    flag = int if sqlite else bool
    contacts, records, with_contacts = [], [], []
    for customer_id, plan in zip(ids, plans, strict=True):
        created = stamp(plan.row["created_at"])
        own = []
        for contact in plan.contacts:
            contact_id = next(contact_ids)
            own.append(contact_id)
            contacts.append((contact_id, customer_id, contact["name"], contact["title"],
                             json.dumps(contact["phones"]), contact["email"],
                             flag(contact["is_primary"]), created, created))
        if own:
            with_contacts.append(customer_id)
        for record in plan.records:
            moment = stamp(record["occurred_at"])
            records.append((customer_id, None if record["contact"] is None
                            else own[record["contact"]], record["kind"], record["content"],
                            moment, record["user_id"], day(record["next_follow_up"]), moment,
                            moment))
    _write(session, Contact.__tablename__, _CONTACT_COLUMNS, contacts)
    _write(session, ContactRecord.__tablename__, _RECORD_COLUMNS, records)
    # Without ``index=False``, the documents were built before the contacts existed.
    search_index.index_customers(session, ids if deferred else with_contacts)
    report.customers += len(ids)
    report.contacts += len(contacts)
    report.records += len(records)


def _produce(generator: _Generator, sizes: list[int], queue: Any) -> None:
    for size in sizes:
        queue.put([generator.customer() for _ in range(size)])


def _batches(generator: _Generator, customers: int, batch: int) -> Iterator[list[_Plan]]:
    """The customers in batches. With more than one batch and more than one CPU, a forked
    process generates the next batches while this one writes (the same generator, so the same
    rows): generating is about a third of the work."""
    sizes = [min(batch, customers - done) for done in range(0, customers, batch)]
    if len(sizes) < 3 or (os.cpu_count() or 1) < 2 or "fork" not in \
            multiprocessing.get_all_start_methods():
        for size in sizes:
            yield [generator.customer() for _ in range(size)]
        return
    context = multiprocessing.get_context("fork")
    queue = context.Queue(maxsize=2)
    producer = context.Process(target=_produce, args=(generator, sizes, queue), daemon=True)
    producer.start()
    try:
        for _size in sizes:
            yield queue.get(timeout=600)
    finally:
        if producer.is_alive():
            producer.terminate()
        producer.join()


def fill(session: Session, customers: int, *, seed: int = DEFAULT_SEED,
         records_per_customer: float = 5.0, batch: int = BATCH,
         progress: Callable[[int, int, FillReport], None] | None = None) -> FillReport:
    """Add ``customers`` demo customers (1–3 contacts per company, about
    ``records_per_customer`` contact records each), committing every ``batch`` customers.

    Adds the demo customer types and tags if missing; owners are the active users (with
    their departments), none when there are no users. Refreshes the dashboard counts at the
    end. Deterministic: the same seed on the same database state gives the same data.
    """
    report = FillReport()
    if customers <= 0:
        return report
    began = time.perf_counter()
    type_ids, tag_ids = _ensure_types_and_tags(session)
    start = session.scalar(select(func.coalesce(func.max(Customer.id), 0))) or 0
    generator = _Generator(seed, start, now=utcnow(), type_ids=type_ids, tag_ids=tag_ids,
                           owners=_owners(session), records_per_customer=records_per_customer)
    connection = session.connection()
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:  # a bigger page cache doubles the insert rate with indexes (perf-floor.md)
        cache = connection.exec_driver_sql("PRAGMA cache_size").scalar()
        connection.exec_driver_sql("PRAGMA cache_size = -262144")
    try:
        for plans in _batches(generator, customers, batch):
            _write_batch(session, plans, report)
            session.commit()
            report.seconds = time.perf_counter() - began
            if progress is not None:
                progress(report.customers, customers, report)
    finally:
        if sqlite:
            session.connection().exec_driver_sql(f"PRAGMA cache_size = {int(cache)}")
    _analyze(session)
    _refresh_stats(session)
    report.seconds = time.perf_counter() - began
    return report


def _analyze(session: Session) -> None:
    """Refresh the planner's statistics after the bulk load: every customer table and, on
    PostgreSQL, the search documents (``bulk.analyze``; without them PostgreSQL planned
    searches that took seconds), plus every row of ``customers_customer`` (not a sample)."""
    bulk.analyze(session)
    analyze(["customers_customer"], session=session, sample_rows=None)
    session.commit()


def _refresh_stats(session: Session) -> None:
    """Recompute the widgets' counts if the classification part offers it."""
    from ..classification import services as classification

    refresh = getattr(classification, "refresh_stats", None)
    if refresh is not None:
        refresh(session)
        session.commit()

