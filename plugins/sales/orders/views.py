"""The orders' own pages beside the Resource's list and detail: the form with the line
editor (new, also from a customer's page with ``?customer_id=``; edit a draft) and the state
buttons (confirm, deliver, complete, cancel), each a POST behind a confirmation.

The new order's customer select is a type-ahead: the search box above it asks
``customer_options`` (htmx, as the kernel's relation selects do) for the customers matching
what was typed, through customers' public ``search_customers`` in the user's scope; without
JavaScript the box's Find button reloads the page with the matches.

A refused line marks its cell and the form shows again (400); a change someone else made
meanwhile shows the form again (409) with what the user typed and a message to reload; a
state the order cannot leave is a flash on the order's page.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, TextAreaField
from wtforms.validators import NumberRange, Optional

from crm_core.toolkit import (
    DomainError,
    Permission,
    Resource,
    custom_fields,
    get_session,
    require_permission,
)
from plugins.customers import services as customers

from ..lines.editor import editor_context
from ..lines.parsing import LinesRefused, line_texts, lines_from_form
from ..permissions import N_, ORDER_CONFIRM
from . import services
from .resource import ORDERS

bp = Blueprint("sales_order_pages", __name__, template_folder="../templates",
               url_prefix="/sales/orders")
CREATE, EDIT = "sales.order.create", "sales.order.edit"


def resources() -> list[Resource]:
    """The orders' list and detail."""
    return [ORDERS]


def permissions() -> list[Permission]:
    """Adding and changing orders: their pages are these, not the Resource's forms."""
    return [Permission(CREATE, N_("Add orders"), N_("Orders")),
            Permission(EDIT, N_("Edit orders"), N_("Orders"))]


def blueprints() -> list[Blueprint]:
    """The form and state pages, and the API."""
    from .api import api

    return [bp, api]


class OrderForm(FlaskForm):
    """An order's own fields; its lines are the editor's inputs (``lines-<n>-<name>``)."""

    customer_id = IntegerField(_l("Customer"), validators=[NumberRange(1, 2_147_483_647)])
    order_date = DateField(_l("Order date"), validators=[Optional()])
    notes = TextAreaField(_l("Notes"), validators=[Optional()], render_kw={"rows": 2})
    version = HiddenField()


def _me() -> Any:
    return current_user._get_current_object()  # noqa: SLF001 - Flask-Login's proxy


def _form(order: Any = None, **kwargs: Any) -> OrderForm:
    """The order form with an input per custom field the user may edit, filled from
    ``order`` (or the defaults of a new one) unless it was submitted."""
    session = get_session()
    cls = custom_fields.form_class_with(OrderForm, session, services.CUSTOM_KIND, _me())
    form = cls(**kwargs)
    custom_fields.fill_form(form, session, order.custom if order is not None else None,
                            new=order is None)
    return form


def _customer_choices(chosen: int | None) -> list[tuple[int, str]]:
    """The customers matching ``?customer_q=`` (name, code, phone, pinyin), else the 50 the
    user touched last; and the chosen one."""
    session = get_session()
    query = request.args.get("customer_q", "").strip()[:100]
    if len(query) >= 2:
        found = customers.search_customers(session, query, user=_me(), limit=50)
    else:
        found = customers.list_customers(session, user=_me(), limit=50).items
    options = [(customer.id, customer.name) for customer in found]
    if chosen and chosen not in dict(options):
        try:
            found = customers.get_customer(session, chosen, user=_me())
            options.insert(0, (found.id, found.name))
        except customers.CustomerNotFound:
            pass
    return options


@bp.route("/customer-options", methods=["GET"])
@require_permission(CREATE)
def customer_options() -> Any:
    """The ``<option>``s of the customers matching ``?customer_q=`` (at least two
    characters: name, code, phone, pinyin), else the 50 the user touched last."""
    query = request.args.get("customer_q", "").strip()
    return render_template("sales/orders/_customer_options.html",
                           customers=_customer_choices(None), blank=len(query) < 2)


def _page(form: OrderForm, lines: list[dict[str, str]], errors: dict[str, list[str]],
          order: Any = None, status: int = 200) -> Any:
    chosen = form.customer_id.data if isinstance(form.customer_id.data, int) else None
    return render_template(
        "sales/orders/form.html", form=form, order=order,
        customers=_customer_choices(chosen), chosen=chosen,
        editor=editor_context(get_session(), lines, errors),
        title=_("Order %(number)s", number=order.number) if order else _("New order")
    ), status


def _fields(form: OrderForm) -> dict[str, Any]:
    return {"order_date": form.order_date.data, "notes": form.notes.data or "",
            "custom": custom_fields.submitted(form)}


@bp.route("/new", methods=["GET", "POST"])
@require_permission(CREATE)
def new() -> Any:
    """A new order; ``?customer_id=`` presets the customer (from their page)."""
    if request.method == "GET":
        form = _form(formdata=None)
        preset = request.args.get("customer_id", "")
        form.customer_id.data = int(preset) if preset.isdigit() and len(preset) < 11 else None
        return _page(form, [], {})
    form = _form()
    lines = lines_from_form(request.form)
    if not form.validate():
        return _page(form, lines, {}, status=400)
    session = get_session()
    try:
        order = services.create_order(session, form.customer_id.data, lines, _me(),
                                      **_fields(form))
    except LinesRefused as error:
        session.rollback()
        return _page(form, lines, error.errors, status=400)
    except DomainError as error:
        session.rollback()
        _mark(form, error)
        return _page(form, lines, {}, status=400)
    session.commit()
    flash(_("Order %(number)s added as a draft.", number=order.number), "success")
    return redirect(url_for("sales_orders.detail", order_id=order.id))


def _mark(form: OrderForm, error: DomainError) -> None:
    field = getattr(error, "field", None)
    target = form[field] if field in form else form.notes
    target.errors = [*target.errors, str(error)]


@bp.route("/<int:order_id>/edit", methods=["GET", "POST"])
@require_permission(EDIT)
def edit(order_id: int) -> Any:
    """Change a draft and its lines."""
    session = get_session()
    order = _order(order_id)
    if order.status != "draft":
        flash(_("Only a draft can be changed."), "error")
        return redirect(url_for("sales_orders.detail", order_id=order.id))
    if request.method == "GET":
        form = _form(order, formdata=None, obj=order)
        form.version.data = str(order.version)
        stored = services.order_lines(session, [order.id])[order.id]
        return _page(form, [line_texts(line) for line in stored], {}, order)
    form = _form(order)
    form.customer_id.data = order.customer_id  # the customer of an order does not change
    lines = lines_from_form(request.form)
    if not form.validate():
        return _page(form, lines, {}, order, status=400)
    version = form.version.data
    try:
        services.update_order(session, order, _me(), lines=lines,
                              expected_version=int(version) if str(version).isdigit()
                              and len(str(version)) < 10 else None, **_fields(form))
    except LinesRefused as error:
        session.rollback()
        return _page(form, lines, error.errors, order, status=400)
    except services.OrderConflict as error:
        session.rollback()
        flash(str(error), "error")  # above the form, which keeps what the user typed
        return _page(form, lines, {}, _order(order_id), status=409)
    except custom_fields.CustomValueError as error:
        session.rollback()
        _mark(form, error)  # under its input; nothing saved
        return _page(form, lines, {}, _order(order_id), status=400)
    except DomainError as error:
        session.rollback()
        flash(str(error), "error")
        return redirect(url_for("sales_orders.detail", order_id=order_id))
    session.commit()
    flash(_("Order %(number)s saved.", number=order.number), "success")
    return redirect(url_for("sales_orders.detail", order_id=order.id))


def _order(order_id: int) -> Any:
    try:
        return services.get_order(get_session(), order_id, _me())
    except services.OrderNotFound:
        abort(404)


def _state_view(action: str) -> None:
    def change(order_id: int) -> Any:
        session = get_session()
        order = _order(order_id)
        version = request.form.get("version", "")
        try:
            services.ACTIONS[action](session, order, _me(), expected_version=int(version)
                                     if version.isdigit() and len(version) < 10 else None)
        except DomainError as error:
            session.rollback()
            flash(str(error), "error")
            return redirect(url_for("sales_orders.detail", order_id=order_id))
        session.commit()
        flash(_("Order %(number)s is now %(status)s.", number=order.number,
                status=str(services.ORDER_STATUS_LABELS[order.status]).lower()), "success")
        return redirect(url_for("sales_orders.detail", order_id=order.id))

    change.__name__ = action
    change.__doc__ = f"{action.capitalize()} the order (a POST from its page)."
    bp.add_url_rule(f"/<int:order_id>/{action}", action,
                    require_permission(ORDER_CONFIRM)(change), methods=["POST"])


for _action in services.ACTIONS:
    _state_view(_action)
