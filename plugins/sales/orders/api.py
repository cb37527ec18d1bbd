"""The orders REST API, lines inline: ``/api/v1/sales/orders``.

- ``GET`` lists the orders the caller may see by keyset (newest first; ``?status=``,
  ``?customer_id=``), each with its lines (one statement for the page's lines);
- ``POST`` creates a draft (201) from ``{"customer_id", "lines": [{"product_id",
  "quantity": "3", "unit_price": "19.99", "discount_percent": "7.5", "tax_rate": "13"}]}``;
- ``GET``/``PATCH /<order_id>`` read and change a draft (``"version"`` guards a stale edit);
- ``DELETE /<order_id>`` deletes a draft (or a cancelled order), 204; a live one is a 409
  problem naming its state;
- ``POST /<order_id>/confirm|deliver|complete|cancel`` move it on (409 when its state
  does not allow it or someone changed it meanwhile).

Amounts are decimal strings in yuan, ``total_in_words`` the capital amount (大写). A bad
line is a 422 problem naming it (``lines[0].quantity``); an order outside the caller's data
scope is 404 on every route.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, request
from flask_login import current_user
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate
from sqlalchemy import select

from crm_core.toolkit import (
    Id,
    ListQuery,
    Page,
    UtcDateTime,
    amount_in_words,
    api_endpoint,
    custom_fields,
    get_session,
    paginate,
    scoped,
)

from ..lines.parsing import MAX_LINES, LinesRefused, line_out
from ..models import ORDER_STATUSES, Order
from ..money import yuan
from ..permissions import ORDER_CONFIRM
from . import services

api = Blueprint("sales_orders_rest", __name__)
BASE = "/api/v1/sales/orders"
ONE = f"{BASE}/<int:order_id>"
TAGS = ["sales"]
CUSTOM_TEXT = ("The custom fields an administrator defined, by key (money as a decimal "
               "string); the list filters by them with ?custom.<key>=.")
VIEW, CREATE, EDIT = "sales.order.view", "sales.order.create", "sales.order.edit"
DELETE = "sales.order.delete"


class LineOut(Schema):
    """A line: the texts it was sold at and its amounts in yuan."""

    id = fields.Integer()
    position = fields.Integer()
    product_id = fields.Integer(allow_none=True)
    description = fields.String()
    quantity = fields.String(metadata={"description": "Units, a decimal string: \"3\"."})
    unit_price = fields.String(metadata={"description": "Yuan, a decimal string."})
    discount_percent = fields.String()
    tax_rate = fields.String(metadata={"description": "Percent: \"13\"."})
    price_includes_tax = fields.Boolean()
    subtotal = fields.String(metadata={"description": "Untaxed amount in yuan."})
    tax = fields.String()
    total = fields.String()


class OrderOut(Schema):
    """An order with its lines; amounts are decimal strings in yuan."""

    id = fields.Integer()
    number = fields.String()
    status = fields.String(metadata={"description": " → ".join(ORDER_STATUSES)})
    customer_id = fields.Integer()
    opportunity_id = fields.Integer(allow_none=True)
    quote_id = fields.Integer(allow_none=True)
    order_date = fields.Date(allow_none=True)
    owner_id = fields.Integer(allow_none=True)
    department_id = fields.Integer(allow_none=True)
    untaxed_amount = fields.String()
    tax_amount = fields.String()
    total_amount = fields.String()
    total_in_words = fields.String(metadata={"description": "The total in capital numerals "
                                                           "(大写)."})
    notes = fields.String()
    version = fields.Integer(metadata={"description": "Send it back with PATCH to refuse "
                                                      "a stale change."})
    confirmed_at = UtcDateTime(allow_none=True)
    cancelled_at = UtcDateTime(allow_none=True)
    created_at = UtcDateTime()
    updated_at = UtcDateTime()
    lines = fields.List(fields.Nested(LineOut))
    custom = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), metadata={
        "description": CUSTOM_TEXT, "x-crm-custom-fields": services.CUSTOM_KIND})


_LINES = fields.List(fields.Dict(), validate=validate.Length(max=MAX_LINES),
                     metadata={"description": "Each {product_id, quantity, unit_price?, "
                                              "discount_percent?, tax_rate?, description?};"
                                              " numbers as decimal strings."})


class OrderIn(Schema):
    """A new order: the customer and its lines."""

    class Meta:
        unknown = EXCLUDE

    customer_id = Id(required=True)
    lines = fields.List(fields.Dict(), required=True,
                        validate=validate.Length(min=1, max=MAX_LINES),
                        metadata=_LINES.metadata)
    notes = fields.String(validate=validate.Length(max=services.NOTES_MAX))
    order_date = fields.Date(allow_none=True)
    opportunity_id = Id(allow_none=True)
    custom = fields.Dict(keys=fields.String(validate=validate.Length(max=40)),
                         values=fields.Raw(allow_none=True),
                         metadata={"description": CUSTOM_TEXT,
                                   "x-crm-custom-fields": services.CUSTOM_KIND})


class OrderPatch(Schema):
    """A draft's changes: any of its lines (all replaced), notes, date."""

    class Meta:
        unknown = EXCLUDE

    lines = fields.List(fields.Dict(), validate=validate.Length(min=1, max=MAX_LINES),
                        metadata=_LINES.metadata)
    notes = fields.String(validate=validate.Length(max=services.NOTES_MAX))
    order_date = fields.Date(allow_none=True)
    version = fields.Integer(validate=validate.Range(1, 2_147_483_647))
    custom = fields.Dict(keys=fields.String(validate=validate.Length(max=40)),
                         values=fields.Raw(allow_none=True),
                         metadata={"description": CUSTOM_TEXT + " Keys left out keep "
                                   "their value.", "x-crm-custom-fields": services.CUSTOM_KIND})


class OrderQuery(ListQuery):
    """The list's filters."""

    status = fields.String(load_default=None, validate=validate.OneOf(ORDER_STATUSES))
    customer_id = Id(load_default=None)


class StateIn(Schema):
    """A state change; ``version`` (optional) refuses it when the order changed since."""

    class Meta:
        unknown = EXCLUDE

    version = fields.Integer(validate=validate.Range(1, 2_147_483_647))


def _custom_fields() -> list[Any]:
    """The orders' custom fields the caller may see."""
    return custom_fields.visible_fields(get_session(), services.CUSTOM_KIND, _me())


def order_out(order: Order, lines: list[Any], shown: list[Any] | None = None
              ) -> dict[str, Any]:
    """The order as the API answers it (``OrderOut``); ``shown``: the custom fields the
    caller may see (read when not given)."""
    return {"id": order.id, "number": order.number, "status": order.status,
            "customer_id": order.customer_id, "opportunity_id": order.opportunity_id,
            "quote_id": order.quote_id, "order_date": order.order_date,
            "owner_id": order.owner_id, "department_id": order.department_id,
            "untaxed_amount": yuan(order.untaxed_amount), "tax_amount": yuan(order.tax_amount),
            "total_amount": yuan(order.total_amount),
            "total_in_words": amount_in_words(order.total_amount), "notes": order.notes,
            "version": order.version, "confirmed_at": order.confirmed_at,
            "cancelled_at": order.cancelled_at, "created_at": order.created_at,
            "updated_at": order.updated_at, "lines": [line_out(line) for line in lines],
            "custom": custom_fields.api_values(_custom_fields() if shown is None else shown,
                                               order.custom)}


def _one(order: Order) -> dict[str, Any]:
    return order_out(order, services.order_lines(get_session(), [order.id])[order.id])


def _me() -> Any:
    return current_user._get_current_object()  # noqa: SLF001 - Flask-Login's proxy


def _order(order_id: int) -> Order:
    return services.get_order(get_session(), order_id, _me())


def _custom_conditions() -> list[Any]:
    """The WHERE conditions of the query's ``custom.<...>`` filters (a refused one raises
    ``CustomValueError`` naming it: 422)."""
    raw = custom_fields.set_custom_args(request.args)
    if not raw:
        return []
    session = get_session()
    found = custom_fields.parse_filters(session, services.CUSTOM_KIND, raw, _me())
    kind = custom_fields.record_kinds(current_app)[services.CUSTOM_KIND]
    return custom_fields.conditions(session, kind, found)


def _refused_lines(error: LinesRefused) -> ValidationError:
    return ValidationError(error.errors)


@api_endpoint(api, BASE, permission=VIEW, response=OrderOut, page=True, query=OrderQuery,
              tags=TAGS, endpoint="list")
def list_orders(query: dict[str, Any]) -> Page:
    """List the orders you may see, newest first, by cursor; each with its lines."""
    statement = scoped(select(Order), Order, _me()).where(Order.deleted_at.is_(None))
    if query.get("status"):
        statement = statement.where(Order.status == query["status"])
    if query.get("customer_id"):
        statement = statement.where(Order.customer_id == query["customer_id"])
    statement = statement.where(*_custom_conditions())
    page = paginate(get_session(), statement, descending=True, limit=query["limit"],
                    cursor=query.get("cursor"), before=query.get("before"))
    lines = services.order_lines(get_session(), [order.id for order in page.items])
    shown = _custom_fields()
    return Page(items=[order_out(order, lines[order.id], shown) for order in page.items],
                next_cursor=page.next_cursor, prev_cursor=page.prev_cursor)


@api_endpoint(api, BASE, methods=["POST"], permission=CREATE, body=OrderIn,
              response=OrderOut, status=201, tags=TAGS, endpoint="create")
def create(body: dict[str, Any]) -> Any:
    """Create a draft order; unit prices exclude tax unless the product includes it, a line
    without one takes the customer's price list."""
    session = get_session()
    values = {name: body[name] for name in ("notes", "order_date", "opportunity_id", "custom")
              if body.get(name) is not None}
    try:
        order = services.create_order(session, body["customer_id"], body["lines"], _me(),
                                      **values)
    except LinesRefused as error:
        session.rollback()
        raise _refused_lines(error) from None
    result = _one(order)
    session.commit()
    return result


@api_endpoint(api, ONE, permission=VIEW, response=OrderOut, tags=TAGS, endpoint="get")
def get(order_id: int) -> Any:
    """One order with its lines; 404 outside your scope."""
    return _one(_order(order_id))


@api_endpoint(api, ONE, methods=["PATCH"], permission=EDIT, body=OrderPatch,
              response=OrderOut, tags=TAGS, endpoint="update")
def update(body: dict[str, Any], order_id: int) -> Any:
    """Change a draft: its lines (all replaced), notes or date."""
    session = get_session()
    order = _order(order_id)
    values = {name: body[name] for name in ("notes", "order_date", "custom") if name in body}
    try:
        services.update_order(session, order, _me(), lines=body.get("lines"),
                              expected_version=body.get("version"), **values)
    except LinesRefused as error:
        session.rollback()
        raise _refused_lines(error) from None
    result = _one(order)
    session.commit()
    return result


@api_endpoint(api, ONE, methods=["DELETE"], permission=DELETE, status=204, tags=TAGS,
              endpoint="delete")
def delete(order_id: int) -> None:
    """Delete a draft order (or a cancelled one): it leaves every list; a confirmed,
    delivered or completed order is a 409 problem (cancel it first). 404 outside your
    scope. The operation log records who deleted it."""
    session = get_session()
    services.delete_order(session, _order(order_id), _me())
    session.commit()


def _state_route(action: str) -> None:
    def change(order_id: int) -> Any:
        session = get_session()
        order = _order(order_id)
        # the body is optional: {"version": n} refuses a change to an order changed since
        sent = request.get_json(silent=True)
        body = StateIn().load(sent) if isinstance(sent, dict) else {}
        services.ACTIONS[action](session, order, _me(),
                                 expected_version=body.get("version"))
        result = _one(order)
        session.commit()
        return result

    change.__doc__ = f"{action.capitalize()} the order (409 when its state does not allow it)."
    api_endpoint(api, f"{ONE}/{action}", methods=["POST"], permission=ORDER_CONFIRM,
                 response=OrderOut, tags=TAGS, endpoint=action)(change)


for _action in services.ACTIONS:
    _state_route(_action)
