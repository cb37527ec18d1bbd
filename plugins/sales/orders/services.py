"""Orders: the rules. The only module that writes orders and their lines.

An order goes draft → confirmed → delivered → completed, or is cancelled from draft or
confirmed; any other change is refused (``OrderStateError``, 409) with a message naming the
order's state. Only a draft's lines and fields change. The ``version`` column is the
optimistic lock: two sessions that loaded the same order cannot both change it; the second
gets ``OrderConflict`` (409). Confirming fires ``order_confirmed``, cancelling
``order_cancelled``, after the flush and inside the caller's unit of work (the caller
commits). Numbers come from the series ``sales.order`` in the pattern stored as the setting
``sales.order_number_pattern`` (default ``SO{yyyy}{mm}-{seq:04}``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from crm_core.toolkit import (
    DomainError,
    custom_fields,
    emit,
    get_setting,
    next_number,
    scoped,
    utcnow,
)
from plugins.customers import services as customers

from ..lines.parsing import LineValues, parse_lines, totals
from ..models import Opportunity, Order, OrderLine
from ..models.documents import ORDER_STATUS_LABELS

__all__ = ["DEFAULT_NUMBER_PATTERN", "NUMBER_SERIES", "NUMBER_SETTING", "OrderConflict",
           "OrderNotFound", "OrderRefused", "OrderStateError", "cancel_order",
           "complete_order", "confirm_order", "create_order", "deliver_order", "get_order",
           "order_lines", "update_order"]

NUMBER_SERIES = "sales.order"
NUMBER_SETTING = "sales.order_number_pattern"
DEFAULT_NUMBER_PATTERN = "SO{yyyy}{mm}-{seq:04}"
NOTES_MAX = 10_000
#: The fields a caller may set besides customer and lines (owner and department only for
#: trusted callers: a quote turned into an order keeps its owner).
FIELDS = ("notes", "order_date", "opportunity_id", "quote_id", "owner_id", "department_id",
          "number", "custom")
#: the orders' kind of custom fields (``toolkit.custom_column`` on ``Order.custom``)
CUSTOM_KIND = "sales.order"
#: action → (states it may start from, state it leads to)
TRANSITIONS = {"confirm": (("draft",), "confirmed"), "deliver": (("confirmed",), "delivered"),
               "complete": (("delivered",), "completed"),
               "cancel": (("draft", "confirmed"), "cancelled")}


class OrderRefused(DomainError):
    """A field of an order was refused (422); ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class OrderNotFound(DomainError):
    """No such order, or one outside the user's scope (404)."""

    status = 404


class OrderStateError(DomainError):
    """The order's state does not allow the change (409)."""

    status = 409


class OrderConflict(DomainError):
    """Someone else changed the order meanwhile (409): reload and try again."""

    status = 409


def _flush(session: Session) -> None:
    try:
        session.flush()
    except StaleDataError:
        raise OrderConflict(_("Someone else changed this order meanwhile. Reload it and "
                              "try again.")) from None


def get_order(session: Session, order_id: Any, user: Any = None) -> Order:
    """The order if ``user`` (None: the signed-in user) may see it, else ``OrderNotFound``."""
    if not isinstance(order_id, int) or isinstance(order_id, bool) or \
            not 1 <= order_id <= 2_147_483_647:
        raise OrderNotFound(_("There is no such order, or you may not see it."))
    order = session.scalar(scoped(select(Order), Order, user)
                           .where(Order.id == order_id, Order.deleted_at.is_(None)))
    if order is None:
        raise OrderNotFound(_("There is no such order, or you may not see it."))
    return order


def confirmed_orders(session: Session, after_id: int = 0, limit: int = 500) -> list[Order]:
    """For the ERP bridge's initial sync (a trusted caller, no scope): the orders confirmed
    or beyond (delivered, completed), not deleted, with an id above ``after_id``, by id, at
    most ``limit``; page with the last id."""
    return list(session.scalars(
        select(Order).where(Order.id > after_id, Order.deleted_at.is_(None),
                            Order.status.in_(("confirmed", "delivered", "completed")))
        .order_by(Order.id).limit(max(1, min(limit, 5000)))))


def order_lines(session: Session, order_ids: Sequence[int]) -> dict[int, list[OrderLine]]:
    """The lines of each order, in their order (one statement for all)."""
    found: dict[int, list[OrderLine]] = {order_id: [] for order_id in order_ids}
    if order_ids:
        for line in session.scalars(select(OrderLine).where(OrderLine.order_id.in_(order_ids))
                                    .order_by(OrderLine.order_id, OrderLine.position,
                                              OrderLine.id)):
            found[line.order_id].append(line)
    return found


def _customer(session: Session, customer_id: Any, user: Any) -> Any:
    try:
        return customers.get_customer(session, customer_id, user=user)
    except customers.CustomerNotFound:
        raise OrderRefused("customer_id", _("There is no such customer, or you may not "
                                            "see it.")) from None


def _lines(session: Session, lines: Sequence[Any], customer: Any, user: Any
           ) -> list[LineValues]:
    """Lines already worked out (``LineValues``, a quote's) are kept as they are;
    anything else is parsed and priced for the customer."""
    if lines and all(isinstance(line, LineValues) for line in lines):
        return [LineValues(**{**line.columns(), "position": index})
                for index, line in enumerate(lines)]
    return parse_lines(session, list(lines) if isinstance(lines, Sequence) else lines,
                       customer_id=customer.id, user=user,
                       classification=(customer.customer_type_id, customer.level or ""))


def _fields(values: dict[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise TypeError(f"unknown order fields: {', '.join(sorted(unknown))}")
    cleaned = dict(values)
    if "notes" in cleaned:
        cleaned["notes"] = (cleaned["notes"] or "").strip()
        if len(cleaned["notes"]) > NOTES_MAX:
            raise OrderRefused("notes", _("At most %(count)d characters.", count=NOTES_MAX))
    if "order_date" in cleaned and cleaned["order_date"] is not None and \
            not isinstance(cleaned["order_date"], dt.date):
        raise OrderRefused("order_date", _("Not a valid date."))
    if not cleaned.get("number"):
        cleaned.pop("number", None)
    return cleaned


def _set_amounts(order: Order, lines: list[LineValues]) -> None:
    amounts = totals(lines)
    order.untaxed_amount, order.tax_amount, order.total_amount = \
        amounts.untaxed, amounts.tax, amounts.total


def _store_lines(session: Session, order: Order, lines: list[LineValues]) -> None:
    _set_amounts(order, lines)
    session.add_all([OrderLine(order_id=order.id, **line.columns()) for line in lines])


def create_order(session: Session, customer_id: int, lines: Sequence[Any], user: Any,
                 **fields: Any) -> Order:
    """A draft order of ``customer_id`` (a customer ``user`` may see) with ``lines``: line
    mappings as the API takes them (``parse_lines``) or ``LineValues`` kept as they are.
    ``fields``: ``notes``, ``order_date`` (default today), ``opportunity_id``,
    ``quote_id``, ``custom`` (``{key: value}`` of custom fields, checked: a refused one
    raises ``CustomValueError`` naming ``custom.<key>``), and for trusted callers
    ``owner_id``, ``department_id``, ``number``.
    The owner is ``user`` unless given. Raises ``OrderRefused`` / ``LinesRefused``."""
    values = _fields(fields)
    customer = _customer(session, customer_id, user)
    worked = _lines(session, lines, customer, user)
    if "custom" in values:  # a form or the API (a quote turned into an order sends none)
        values["custom"] = custom_fields.clean_values(session, CUSTOM_KIND,
                                                      values["custom"] or {}, None,
                                                      user=user, new=True)
    if "owner_id" not in values:
        values["owner_id"] = getattr(user, "id", None)
        values.setdefault("department_id", getattr(user, "department_id", None))
    values.setdefault("order_date", dt.date.today())
    values["campaign_id"] = _campaign_of(session, values.get("opportunity_id"))
    if "number" not in values:
        pattern = get_setting(NUMBER_SETTING, DEFAULT_NUMBER_PATTERN) or DEFAULT_NUMBER_PATTERN
        values["number"] = next_number(session, NUMBER_SERIES, pattern)
    elif session.scalar(select(Order.id).where(Order.number == values["number"])):
        raise OrderRefused("number", _("The number %(number)s is already used.",
                                       number=values["number"]))
    order = Order(customer_id=customer.id, status="draft", **values)
    _set_amounts(order, worked)  # in the INSERT: no second UPDATE (and version) of the order
    session.add(order)
    session.flush()
    _store_lines(session, order, worked)
    session.flush()
    return order


def _campaign_of(session: Session, opportunity_id: Any) -> int | None:
    """The campaign an order made from opportunity ``opportunity_id`` carries: the
    opportunity's (marketing counts the order as that campaign's revenue)."""
    if not opportunity_id:
        return None
    return session.scalar(select(Opportunity.campaign_id).where(Opportunity.id == opportunity_id))


def _check_version(order: Order, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != order.version:
        raise OrderConflict(_("Someone else changed this order meanwhile. Reload it and "
                              "try again."))


def update_order(session: Session, order: Order, user: Any, *,
                 lines: Sequence[Any] | None = None, expected_version: int | None = None,
                 **fields: Any) -> Order:
    """Change a draft's ``fields`` (as ``create_order``'s) and, when given, replace its
    lines. Another state is refused (``OrderStateError``); a stale ``expected_version``
    (the version the user's form showed) is ``OrderConflict``."""
    _check_version(order, expected_version)
    if order.status != "draft":
        raise OrderStateError(_("Order %(number)s is %(status)s: only a draft can be "
                                "changed.", number=order.number,
                                status=str(ORDER_STATUS_LABELS[order.status]).lower()))
    values = _fields(fields)
    values.pop("number", None)
    if "custom" in values:
        values["custom"] = custom_fields.clean_values(session, CUSTOM_KIND,
                                                      values["custom"] or {}, order.custom,
                                                      user=user)
    if "opportunity_id" in values and values["opportunity_id"] != order.opportunity_id:
        values["campaign_id"] = _campaign_of(session, values["opportunity_id"])
    for name, value in values.items():
        setattr(order, name, value)
    if lines is not None:
        customer = _customer(session, order.customer_id, user)
        worked = _lines(session, lines, customer, user)
        for line in order_lines(session, [order.id])[order.id]:
            session.delete(line)  # one by one (at most 500): the operation log sees each
        session.flush()
        _store_lines(session, order, worked)
    order.updated_at = utcnow()  # the lock counts a change of lines alone too
    _flush(session)
    return order


def _move(session: Session, order: Order, action: str, expected_version: int | None) -> str:
    _check_version(order, expected_version)
    allowed, target = TRANSITIONS[action]
    if order.status not in allowed:
        raise OrderStateError(_(
            "Order %(number)s is %(status)s; it cannot become %(target)s.",
            number=order.number, status=str(ORDER_STATUS_LABELS[order.status]).lower(),
            target=str(ORDER_STATUS_LABELS[target]).lower()))
    previous = order.status
    order.status = target
    return previous


def confirm_order(session: Session, order: Order, user: Any = None, *,
                  expected_version: int | None = None) -> Order:
    """Draft → confirmed; fires ``order_confirmed`` (the customer's total follows)."""
    _move(session, order, "confirm", expected_version)
    order.confirmed_at = utcnow()
    _flush(session)
    emit("order_confirmed", session, order_id=order.id, customer_id=order.customer_id,
         total_amount=order.total_amount)
    return order


def deliver_order(session: Session, order: Order, user: Any = None, *,
                  expected_version: int | None = None) -> Order:
    """Confirmed → delivered."""
    _move(session, order, "deliver", expected_version)
    _flush(session)
    return order


def complete_order(session: Session, order: Order, user: Any = None, *,
                   expected_version: int | None = None) -> Order:
    """Delivered → completed."""
    _move(session, order, "complete", expected_version)
    _flush(session)
    return order


def cancel_order(session: Session, order: Order, user: Any = None, *,
                 expected_version: int | None = None) -> Order:
    """Draft or confirmed → cancelled; fires ``order_cancelled`` (``was_confirmed`` tells
    listeners to take the amount back)."""
    previous = _move(session, order, "cancel", expected_version)
    order.cancelled_at = utcnow()
    _flush(session)
    emit("order_cancelled", session, order_id=order.id, customer_id=order.customer_id,
         total_amount=order.total_amount, was_confirmed=previous == "confirmed")
    return order


def delete_order(session: Session, order: Order, user: Any = None) -> None:
    """Mark a draft or cancelled order deleted; a live order is refused."""
    if order.status not in ("draft", "cancelled"):
        raise OrderStateError(_("Only a draft or cancelled order can be deleted; cancel "
                                "order %(number)s first.", number=order.number))
    order.deleted_at = utcnow()
    _flush(session)


ACTIONS = {"confirm": confirm_order, "deliver": deliver_order, "complete": complete_order,
           "cancel": cancel_order}
