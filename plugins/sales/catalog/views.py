"""The catalogue's part: products and price lists (kernel Resources) and the one page of
its own, setting and removing the prices of a price list from the list's page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from crm_core.toolkit import Resource, get_scoped_or_404, get_session, require_permission

from ..models import PriceList
from .price_lists import PRICE_LISTS, PriceForm, PriceRefused, remove_price, set_price
from .products import PRODUCTS

bp = Blueprint("sales_catalog", __name__, template_folder="../templates",
               url_prefix="/sales/catalog")


def resources() -> list[Resource]:
    """Products and price lists."""
    return [PRODUCTS, PRICE_LISTS]


def blueprints() -> list[Blueprint]:
    """The prices page."""
    return [bp]


def _back(price_list_id: int) -> Any:
    return redirect(url_for("sales_price_lists.detail", price_list_id=price_list_id)
                    + "#prices")


@bp.post("/price_lists/<int:price_list_id>/prices")
@require_permission("sales.price_list.edit")
def prices(price_list_id: int) -> Any:
    """Set a price of the list (``sku``, ``min_quantity``, ``unit_price``) or remove one
    (``remove=<price id>``); back to the list's page with what happened."""
    price_list = get_scoped_or_404(PriceList, price_list_id, current_user)
    session = get_session()
    form = PriceForm()
    remove = request.form.get("remove", "")
    if remove:
        # the kernel's CSRFProtect has checked the token of every POST
        if remove.isdigit() and remove_price(session, price_list, int(remove)):
            session.commit()
            flash(_("Price removed."), "success")
        else:
            flash(_("That price is not in this list."), "error")
        return _back(price_list.id)
    if not form.validate_on_submit():
        for field in form:
            for error in field.errors:
                flash(f"{field.label.text}: {error}", "error")
        return _back(price_list.id)
    try:
        set_price(session, price_list, form.sku.data, form.min_quantity.data or "",
                  form.unit_price.data)
    except PriceRefused as error:
        session.rollback()
        flash(str(error), "error")
        return _back(price_list.id)
    session.commit()
    flash(_("Price saved."), "success")
    return _back(price_list.id)
