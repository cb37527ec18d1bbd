"""What the line editor (``sales/lines/_editor.html`` and ``static/lines.js``) draws: the
rows as typed, each cell's errors, and the products a line may choose with what the
browser needs for the live totals (price in yuan, VAT rate in percent, tax included).

Quotes and orders share it: pass the lines (``line_texts`` of stored lines, or
``lines_from_form`` of a refused form) and ``LinesRefused.errors``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask import Blueprint
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Product
from ..money import percent_text, yuan
from .parsing import INPUTS, MAX_LINES

#: At most this many products in a line's select (a catalogue this large wants a search).
PRODUCT_OPTIONS = 1000
BLANK_ROWS = 1

bp = Blueprint("sales_lines", __name__, static_folder="../static",
               static_url_path="/static", url_prefix="/sales/lines",
               template_folder="../templates")


def blueprints() -> list[Blueprint]:
    """The editor's script (``/sales/lines/static/lines.js``) and templates."""
    return [bp]


def product_options(session: Session) -> list[dict[str, Any]]:
    """The active products by name, with their price, rate and tax inclusion."""
    rows = session.scalars(select(Product).where(Product.active.is_(True),
                                                 Product.deleted_at.is_(None))
                           .order_by(Product.name, Product.id).limit(PRODUCT_OPTIONS))
    return [{"id": product.id, "label": f"{product.name} · {product.sku}",
             "price": yuan(product.list_price), "tax_rate": percent_text(product.tax_rate),
             "includes_tax": product.price_includes_tax, "unit": product.unit}
            for product in rows]


def editor_context(session: Session, lines: Sequence[Mapping[str, str]],
                   errors: Mapping[str, list[str]], prefix: str = "lines") -> dict[str, Any]:
    """The editor's context: ``rows`` (``texts`` and ``errors`` per cell, plus a blank row),
    ``problems`` (errors of the lines as a whole or of a whole row), ``products``."""
    rows = []
    for index, line in enumerate([*lines, *([{}] * BLANK_ROWS)][:MAX_LINES]):
        place = f"{prefix}[{index}]"
        rows.append({"texts": {name: str(line.get(name, "") or "") for name in INPUTS},
                     "errors": {name: errors.get(f"{place}.{name}", []) for name in INPUTS}})
    problems = [*errors.get(prefix, []),
                *(text for key, texts in errors.items() if key.startswith(f"{prefix}[")
                  and "." not in key for text in texts)]
    return {"rows": rows, "problems": problems, "products": product_options(session),
            "max_lines": MAX_LINES}
