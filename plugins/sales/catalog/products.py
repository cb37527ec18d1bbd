"""Products, declared as a kernel Resource (``/sales/products``, ``/api/v1/sales/products``).

Pages and the API show the list price in yuan (``"19.99"``) and the VAT rate in percent
(``"13"``); the columns keep fen and basis points. A SKU is unique among every product, the
deleted ones included (the row stays), and a duplicate is refused under the field. Import and
export go through the kernel's tabular framework (``PRODUCT_IMPORT``: upsert by SKU).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import BooleanField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from crm_core.toolkit import (
    CellError,
    DomainError,
    Field,
    ImportField,
    ImportSpec,
    Resource,
    Section,
    hooks,
)

from ..models import VAT_RATES, Product
from ..money import MoneyError, percent_text, yuan
from .fields import Percent, Yuan, YuanFormField, basis_points_of, fen_of

SKU_MAX, NAME_MAX, CATEGORY_MAX, UNIT_MAX = 64, 200, 100, 20
VAT_CHOICES = [(rate, f"{percent_text(rate)}%") for rate in VAT_RATES]
YES = {"1", "y", "yes", "true", "t", "是", "对", "√"}
NO = {"0", "n", "no", "false", "f", "否", "不", "×", ""}


class ProductRefused(DomainError):
    """A product value was refused; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _percent_text(value: int) -> str:
    return f"{percent_text(value)}%"


class ProductForm(FlaskForm):
    """Add or change a product: the price in yuan, the VAT rate one of China's."""

    sku = StringField(_l("SKU"), validators=[DataRequired(), Length(max=SKU_MAX)],
                      render_kw={"maxlength": SKU_MAX, "autocomplete": "off"})
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=NAME_MAX)],
                       render_kw={"maxlength": NAME_MAX})
    category = StringField(_l("Category"), validators=[Optional(), Length(max=CATEGORY_MAX)],
                           render_kw={"maxlength": CATEGORY_MAX})
    unit = StringField(_l("Unit"), validators=[Optional(), Length(max=UNIT_MAX)],
                       render_kw={"maxlength": UNIT_MAX, "placeholder": _l("个, 台, kg")})
    list_price = YuanFormField(_l("List price (yuan)"), validators=[DataRequired()],
                               render_kw={"inputmode": "decimal", "placeholder": "19.99"})
    tax_rate = SelectField(_l("VAT rate"), coerce=int, default=1300,
                           choices=[SelectChoice(value, label) for value, label in VAT_CHOICES])
    price_includes_tax = BooleanField(_l("Price includes tax"))
    active = BooleanField(_l("Active"), default=True)
    description = TextAreaField(_l("Description"),
                                validators=[Optional(), Length(max=10_000)])


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    cleaned = dict(values)
    for name in ("sku", "name", "category", "unit"):
        if isinstance(cleaned.get(name), str):
            cleaned[name] = cleaned[name].strip()
    for name in ("category", "unit", "description"):
        if name in cleaned and cleaned[name] is None:
            cleaned[name] = ""
    if "sku" in cleaned and not cleaned["sku"]:
        raise ProductRefused("sku", _("Enter the product's SKU."))
    if "name" in cleaned and not cleaned["name"]:
        raise ProductRefused("name", _("Enter the product's name."))
    return cleaned


def _check_sku(session: Session, sku: str, product_id: int | None = None) -> None:
    found = session.execute(select(Product.id, Product.name, Product.deleted_at)
                            .where(Product.sku == sku)).first()
    if found is None or found.id == product_id:
        return
    if found.deleted_at is not None:
        raise ProductRefused("sku", _("The SKU %(sku)s belongs to a deleted product; choose "
                                      "another.", sku=sku))
    raise ProductRefused("sku", _("The SKU %(sku)s is already used by “%(name)s”.",
                                  sku=sku, name=found.name))


def create_product(session: Session, values: dict[str, Any], user: Any = None) -> Product:
    """A new product from ``values`` (column values: fen, basis points); a duplicate SKU is
    refused under ``sku``."""
    values = _clean(values)
    _check_sku(session, values.get("sku") or "")
    product = Product(**values)
    session.add(product)
    session.flush()
    return product


def update_product(session: Session, product: Product, values: dict[str, Any],
                   user: Any = None) -> Product:
    """Change ``product``'s fields; a SKU another product holds is refused under ``sku``,
    a field another system owns (``sales_product_locked_fields``) under its name."""
    values = _clean(values)
    for name in _locked_fields(product.id):
        if name in values and values[name] != getattr(product, name):
            raise ProductRefused(name, _("This field is kept in the ERP: change it there."))
    if "sku" in values and values["sku"] != product.sku:
        _check_sku(session, values["sku"], product.id)
    for name, value in values.items():
        setattr(product, name, value)
    session.flush()
    return product


def _locked_fields(product_id: int) -> set[str]:
    return {name for answer in hooks().sales_product_locked_fields(product_id=product_id)
            for name in answer or ()}


def sync_product(session: Session, sku: str, values: dict[str, Any],
                 erp_changed_at: Any = None) -> Product:
    """For the ERP bridge (the owner's own write, past the locked fields): the product with
    ``sku`` made or changed with ``values`` (column values: fen, basis points). With
    ``erp_changed_at`` (an aware datetime: "newest wins") a product changed in the CRM
    later keeps its values. A deleted product of that SKU comes back. Not flushed: the
    caller flushes once for a page of products (then a new one has its id); a SKU given
    twice before that flush is the caller's to avoid."""
    values = _clean({**values, "sku": sku})
    with session.no_autoflush:
        product = session.scalar(select(Product).where(Product.sku == values["sku"]))
    if product is None:
        product = Product(**values)
        session.add(product)
    elif erp_changed_at is None or product.updated_at is None or \
            product.updated_at <= erp_changed_at:
        for name, value in values.items():
            if getattr(product, name) != value:
                setattr(product, name, value)
        if product.deleted_at is not None:
            product.deleted_at = None
    return product


# -- import and export -------------------------------------------------------------------


def _amount_cell(text: str) -> int:
    try:
        return fen_of(text.replace("¥", "").replace("￥", ""))
    except MoneyError as error:
        raise CellError(str(error)) from None


def _rate_cell(text: str) -> int:
    try:
        return basis_points_of(text.strip().removesuffix("%"))
    except MoneyError as error:
        raise CellError(str(error)) from None


def _yes_no(text: str) -> bool:
    folded = text.strip().lower()
    if folded in YES:
        return True
    if folded in NO:
        return False
    raise CellError(_l("write yes or no (是 or 否)"))


EXPORT_HEADERS = ("SKU", "Name", "Category", "Unit", "List price", "VAT rate",
                  "Price includes tax", "Active", "Description")
EXPORT_BATCH = 1000


def _export(session: Session, user_id: int | None) -> tuple[list[str], Iterator[Any]]:
    """Every product not deleted, the price in yuan and the rate in percent (a file that
    imports back unchanged)."""
    def batches() -> Iterator[list[list[str]]]:
        last = 0
        while rows := list(session.scalars(
                select(Product).where(Product.id > last, Product.deleted_at.is_(None))
                .order_by(Product.id).limit(EXPORT_BATCH))):
            yield [[row.sku, row.name, row.category, row.unit, yuan(row.list_price),
                    percent_text(row.tax_rate), "yes" if row.price_includes_tax else "no",
                    "yes" if row.active else "no", row.description] for row in rows]
            last = rows[-1].id

    return [str(_l(header)) for header in EXPORT_HEADERS], batches()


def _find(session: Session, key: str, values: list[Any]) -> dict[Any, Any]:
    column = getattr(Product, key)
    return {value: record_id for value, record_id in session.execute(
        select(column, Product.id).where(column.in_(values), Product.deleted_at.is_(None)))}


PRODUCT_IMPORT = ImportSpec(
    id="sales.product", title=_l("Products"), model=Product,
    fields=[
        ImportField("sku", _l("SKU"), aliases=("编码", "货号", "产品编码", "sku", "code"),
                    required=True, max_length=SKU_MAX),
        ImportField("name", _l("Name"), aliases=("名称", "产品名称", "品名", "product"),
                    required=True, max_length=NAME_MAX),
        ImportField("category", _l("Category"), aliases=("类别", "分类", "产品类别"),
                    max_length=CATEGORY_MAX),
        ImportField("unit", _l("Unit"), aliases=("单位",), max_length=UNIT_MAX),
        ImportField("list_price", _l("List price"), aliases=("价格", "单价", "标准价", "price"),
                    clean=_amount_cell, required=True, max_length=40),
        ImportField("tax_rate", _l("VAT rate"), aliases=("税率", "增值税率", "tax", "vat"),
                    clean=_rate_cell, max_length=10),
        ImportField("price_includes_tax", _l("Price includes tax"), aliases=("含税",),
                    clean=_yes_no, max_length=10),
        ImportField("active", _l("Active"), aliases=("启用", "有效"), clean=_yes_no,
                    max_length=10),
        ImportField("description", _l("Description"), aliases=("描述", "说明", "备注"),
                    max_length=10_000),
    ],
    keys=("sku",), find=_find, export=_export,
)


PRODUCTS = Resource(
    model=Product, name="products", label=_l("Products"), label_one=_l("Product"),
    fields=[Field("sku", _l("SKU")), Field("name", _l("Name")),
            Field("category", _l("Category")), Field("unit", _l("Unit")),
            Field("list_price", _l("List price"), format=yuan),
            Field("tax_rate", _l("VAT rate"), format=_percent_text),
            Field("price_includes_tax", _l("Price includes tax")),
            Field("active", _l("Active")),
            Field("description", _l("Description"), textarea=True)],
    title_field="name",
    columns=["sku", "name", "category", "unit", "list_price", "tax_rate", "active"],
    sorts=["name", "category"], default_sort="name", search=["sku", "name", "category"],
    sections=[Section(_l("Product"), ["sku", "name", "category", "unit", "active"]),
              Section(_l("Price"), ["list_price", "tax_rate", "price_includes_tax"]),
              Section(_l("Description"), ["description"])],
    form_class=ProductForm, create=create_product, update=update_product,
    api_overrides={"list_price": Yuan(required=True, metadata={
                       "description": "List price in yuan, a decimal string: \"19.99\"."}),
                   "tax_rate": Percent(metadata={
                       "description": "VAT rate in percent: \"13\", \"9\", \"6\", \"0\"."})},
    import_spec=PRODUCT_IMPORT,
    export_columns=["sku", "name", "category", "unit", "list_price", "tax_rate",
                    "price_includes_tax", "active"],
    icon="box-seam", order=430,
)
