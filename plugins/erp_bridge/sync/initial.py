"""Pushing in batches, in the foreground (``crm erp sync --object customers|orders``): the
initial sync of a CRM that already holds many records, and a catch-up after an outage.

Customers are read page by page through customers' public ``list_customers`` (as the system),
orders through sales' ``confirmed_orders``. Records without an ERP id are sent with one
``create`` holding a list of values per page, after one search by their references (so a
page whose answer was lost, run again, finds what it made); ``full`` also writes the ones
the ERP has already, one by one. Each page is committed with its mapping rows: a run
stopped anywhere resumes with the records not pushed yet. A page the ERP refuses as invalid
is sent again record by record, so one bad record keeps only itself out (its message on its
mapping row). ``guard`` keeps two runs of one object on one connection from overlapping.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from crm_core.toolkit import system_context, utcnow

from ..connections.services import adapter_for, stop_connection
from ..models import ErpConnection, ErpExternalId, ErpSyncCursor
from ..odoo import AuthError, OdooError, PermissionError, ValidationError
from .external_ids import reference
from .outbound import customer_values, order_lines_for_erp
from .settings import object_settings

#: A run that has not ended after this long is taken to have died (the guard lets the
#: next one go).
STALE_AFTER = dt.timedelta(hours=1)


class AlreadyRunning(RuntimeError):
    """Another pull or push of this object on this connection is running."""


@dataclass
class PushResult:
    """What a batch push did: records pushed, runs failed (0 or 1), records the ERP
    refused, and the last error."""

    pushed: int = 0
    failed: int = 0
    refused: int = 0
    error: str = ""


def cursor_row(session: Session, connection: ErpConnection, obj: str) -> ErpSyncCursor:
    """The object's state row on the connection (made and committed when missing)."""
    row = session.scalar(select(ErpSyncCursor).where(
        ErpSyncCursor.connection_id == connection.id, ErpSyncCursor.object == obj))
    if row is None:
        row = ErpSyncCursor(connection_id=connection.id, object=obj, cursor="", pulled=0,
                            pushed=0, last_error="")
        session.add(row)
        session.commit()
    return row


@contextmanager
def guard(session: Session, connection: ErpConnection, obj: str) -> Iterator[ErpSyncCursor]:
    """Run the block as the only pull or push of ``obj`` on ``connection``: the state row is
    claimed by one conditional UPDATE (committed), so two beats, or the beat and the CLI,
    cannot both hand the same pages on; ``AlreadyRunning`` otherwise."""
    state = cursor_row(session, connection, obj)
    now = utcnow()
    claimed = session.execute(
        update(ErpSyncCursor).where(ErpSyncCursor.id == state.id, or_(
            ErpSyncCursor.running_since.is_(None),
            ErpSyncCursor.running_since < now - STALE_AFTER))
        .values(running_since=now).execution_options(synchronize_session=False)).rowcount
    session.commit()
    if claimed != 1:
        raise AlreadyRunning(f"{obj} on {connection.name} is being synced since "
                             f"{state.running_since}")
    try:
        yield state
    finally:
        session.rollback()
        session.execute(update(ErpSyncCursor).where(ErpSyncCursor.id == state.id)
                        .values(running_since=None)
                        .execution_options(synchronize_session=False))
        session.commit()
        session.refresh(state)


def _mappings(session: Session, connection: ErpConnection, obj: str,
              crm_ids: list[int]) -> dict[int, ErpExternalId]:
    rows = session.scalars(select(ErpExternalId).where(
        ErpExternalId.connection_id == connection.id, ErpExternalId.object == obj,
        ErpExternalId.crm_id.in_(crm_ids)))
    found = {row.crm_id: row for row in rows}
    for crm_id in crm_ids:
        if crm_id not in found:
            found[crm_id] = ErpExternalId(connection_id=connection.id, object=obj,
                                          crm_id=crm_id, ref=reference(obj, crm_id), error="")
            session.add(found[crm_id])
    return found


def _customer_pages(session: Session, size: int) -> Iterator[list[Any]]:
    from plugins.customers import services as customers

    cursor = None
    while True:
        page = customers.list_customers(session, sort="created", descending=False,
                                        limit=size, cursor=cursor)
        if page.items:
            yield list(page.items)
        if not page.next_cursor:
            return
        cursor = page.next_cursor


def _push_partners(erp: Any, mappings: dict[int, ErpExternalId],
                   values: dict[int, dict[str, Any]], result: PushResult) -> None:
    """Create the page's partners in one call; a refused page record by record."""
    try:
        made = erp.create_partners([(mappings[crm_id].ref, values[crm_id])
                                    for crm_id in values])
    except ValidationError:
        made = {}
        for crm_id in values:
            try:
                made[mappings[crm_id].ref] = erp.upsert_partner(mappings[crm_id].ref,
                                                                values[crm_id])
            except ValidationError as refused:
                mappings[crm_id].error = refused.message[:500]
                result.refused += 1
    for crm_id in values:
        erp_id = made.get(mappings[crm_id].ref)
        if erp_id is not None:
            mappings[crm_id].erp_id, mappings[crm_id].error = erp_id, ""
            mappings[crm_id].synced_at = utcnow()
            result.pushed += 1


def push_customers(session: Session, connection: ErpConnection, full: bool = False,
                   page: int = 200) -> PushResult:
    """Push the customers the ERP does not have yet (``full``: every customer), a page per
    call; committed page by page."""
    fields = object_settings("customers", connection.name).fields
    result = PushResult()

    def run(erp: Any) -> None:
        for customers in _customer_pages(session, page):
            mappings = _mappings(session, connection, "customer",
                                 [customer.id for customer in customers])
            todo = {customer.id: customer_values(customer, fields) for customer in customers
                    if mappings[customer.id].erp_id is None}
            if todo:
                _push_partners(erp, mappings, todo, result)
            if full:
                for customer in customers:
                    mapping = mappings[customer.id]
                    if customer.id not in todo and mapping.erp_id is not None:
                        mapping.erp_id = erp.upsert_partner(
                            mapping.ref, customer_values(customer, fields), mapping.erp_id)
                        result.pushed += 1
            session.commit()

    return _run(session, connection, "customers", run, result)


def push_orders(session: Session, connection: ErpConnection, full: bool = False,
                page: int = 200) -> PushResult:
    """Push the confirmed orders the ERP does not have yet, confirmed there too, with their
    customers first; ``full`` confirms again any the ERP holds as drafts."""
    from plugins.sales import services as sales

    fields = object_settings("customers", connection.name).fields
    result = PushResult()

    def run(erp: Any) -> None:
        after = 0
        while orders := sales.confirmed_orders(session, after, page):
            after = orders[-1].id
            mappings = _mappings(session, connection, "order", [order.id for order in orders])
            todo = [order for order in orders if mappings[order.id].erp_id is None
                    or full or not mappings[order.id].erp_number]
            if not todo:
                continue
            partners = _partners_of(session, erp, connection, todo, fields, result)
            lines = sales.order_lines(session, [order.id for order in todo])
            made = erp.create_orders([
                (mappings[order.id].ref, partners[order.customer_id],
                 order_lines_for_erp(session, connection.id, lines[order.id]))
                for order in todo if order.customer_id in partners])
            numbers = erp.confirm_orders(list(made.values())) if made else {}
            for order in todo:
                erp_id = made.get(mappings[order.id].ref)
                if erp_id is not None:
                    mapping = mappings[order.id]
                    mapping.erp_id, mapping.erp_number = erp_id, numbers.get(erp_id, "")
                    mapping.error, mapping.synced_at = "", utcnow()
                    result.pushed += 1
            session.commit()

    return _run(session, connection, "orders", run, result)


def _partners_of(session: Session, erp: Any, connection: ErpConnection, orders: list[Any],
                 fields: dict[str, str], result: PushResult) -> dict[int, int]:
    """The ERP partner of each order's customer, pushing the customers it lacks."""
    from plugins.customers import services as customers

    ids = sorted({order.customer_id for order in orders})
    mappings = _mappings(session, connection, "customer", ids)
    missing: dict[int, dict[str, Any]] = {}
    for crm_id in ids:
        if mappings[crm_id].erp_id is None:
            customer = customers.get_customer(session, crm_id)
            missing[crm_id] = customer_values(customer, fields)
    if missing:
        pushed = result.pushed
        _push_partners(erp, mappings, missing, result)
        result.pushed = pushed  # the count is of orders
    return {crm_id: row.erp_id for crm_id, row in mappings.items() if row.erp_id}


def _run(session: Session, connection: ErpConnection, obj: str, run: Any,
         result: PushResult) -> PushResult:
    try:
        with guard(session, connection, obj) as state:
            try:  # as the system: every record goes, whoever may see it
                with adapter_for(connection) as erp, \
                        system_context(f"ERP push of {obj}"):
                    run(erp)
            except (AuthError, PermissionError) as refused:
                session.rollback()
                stop_connection(session, connection, refused.message)
                result.failed, result.error = 1, refused.message
            except OdooError as failed:
                session.rollback()
                result.failed, result.error = 1, failed.message
            state.pushed += result.pushed
            state.last_error = result.error[:500]
            session.commit()
    except AlreadyRunning as busy:
        result.failed, result.error = 1, str(busy)
    return result
