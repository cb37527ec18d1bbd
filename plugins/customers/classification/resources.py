"""The lists an administrator keeps for classifying customers — customer types, tags and
amount bands — declared as kernel Resources (``/customers/types``, ``/customers/tags``,
``/customers/bands`` and ``/api/v1/customers/<name>``), under the "Customer settings" menu.

Every write goes through ``taxonomy``: names stay unique, colours ``#rrggbb``, band thresholds
distinct, and a deletion keeps the customers (they lose the type or tag). Each list shows how
many customers use a value, and the delete confirmation says it too. Types are kept in the
administrator's order (moved up and down from the list). Types and bands need
``customers.type.manage``, tags ``customers.tag.manage``, as before the move.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import StringField
from wtforms.validators import Length

from crm_core.toolkit import Computed, Field, Resource

from ..models import MINOR_UNITS, AmountBand, CustomerType, Tag
from ..records.fields import to_minor_units
from ..records.services import TYPE_DESCRIPTION_MAX
from ..validation import FieldError
from . import taxonomy

TYPE_MANAGE = "customers.type.manage"
TAG_MANAGE = "customers.tag.manage"
ACTIONS = ("view", "create", "edit", "delete")
PARENT = "customers.settings"
LIST_TEMPLATE = {"list": "customers/settings_list.html"}


def _managed_by(permission: str) -> dict[str, str]:
    return {action: permission for action in ACTIONS}


def _customers(count: int) -> str:
    return ngettext("%(num)d customer", "%(num)d customers", count)


# ---------------------------------------------------------------------------- types


def _type_usage(session: Session, records: list[CustomerType]) -> Mapping[int, int]:
    usage = taxonomy.type_usage(session)
    return {kind.id: usage.get(kind.id, 0) for kind in records}


def _create_type(session: Session, values: dict[str, Any], user: Any) -> CustomerType:
    return taxonomy.create_type(session, values.get("name") or "",
                                values.get("description") or "")


def _update_type(session: Session, kind: CustomerType, values: dict[str, Any],
                 user: Any) -> CustomerType:
    if "name" in values:
        taxonomy.rename_type(session, kind.id, values["name"] or "")
    if "description" in values:
        kind.description = values["description"] or ""
    session.flush()
    return kind


def _move_type(session: Session, kind: CustomerType, step: int, user: Any) -> None:
    taxonomy.move_type(session, kind.id, step)


def _delete_type(session: Session, kind: CustomerType, user: Any) -> str:
    used = taxonomy.delete_type(session, kind.id)
    return ngettext("Customer type deleted; %(num)d customer now has no type.",
                    "Customer type deleted; %(num)d customers now have no type.", used)


def _type_notice(session: Session, kind: CustomerType) -> str:
    used = taxonomy.type_usage(session).get(kind.id, 0)
    return ngettext("Delete the type %(name)s? %(num)d customer uses it and will have no type.",
                    "Delete the type %(name)s? %(num)d customers use it and will have no type.",
                    used, name=kind.name)


TYPES = Resource(
    model=CustomerType, name="types", label=_l("Customer types"),
    label_one=_l("Customer type"),
    fields=[Field("name", _l("Name")),
            Field("description", _l("Description"), textarea=True,
                  validators=[Length(max=TYPE_DESCRIPTION_MAX)]),
            Field("position", _l("Order"), form=False)],
    columns=["name", "usage"], search=["name"], sorts=["position", "name"],
    default_sort="position", order_field="position", move=_move_type,
    computed=[Computed("usage", _l("Customers"), _type_usage, format=_customers)],
    create=_create_type, update=_update_type, delete=_delete_type,
    delete_notice=_type_notice, permissions=_managed_by(TYPE_MANAGE), actions=ACTIONS,
    parent=PARENT, icon="diagram-2", order=191, templates=LIST_TEMPLATE,
)


# ---------------------------------------------------------------------------- tags


def _tag_usage(session: Session, records: list[Tag]) -> Mapping[int, int]:
    usage = taxonomy.tag_usage(session)
    return {tag.id: usage.get(tag.id, 0) for tag in records}


def _create_tag(session: Session, values: dict[str, Any], user: Any) -> Tag:
    return taxonomy.create_tag(session, values.get("name") or "",
                               values.get("colour") or "#6c757d")


def _update_tag(session: Session, tag: Tag, values: dict[str, Any], user: Any) -> Tag:
    return taxonomy.update_tag(session, tag.id, name=values.get("name"),
                               colour=values.get("colour"))


def _delete_tag(session: Session, tag: Tag, user: Any) -> str:
    used = taxonomy.delete_tag(session, tag.id)
    return ngettext("Tag deleted and taken off %(num)d customer.",
                    "Tag deleted and taken off %(num)d customers.", used)


def _tag_notice(session: Session, tag: Tag) -> str:
    used = taxonomy.tag_usage(session).get(tag.id, 0)
    return ngettext("Delete the tag %(name)s? It will be taken off %(num)d customer.",
                    "Delete the tag %(name)s? It will be taken off %(num)d customers.",
                    used, name=tag.name)


TAGS = Resource(
    model=Tag, name="tags", label=_l("Tags"), label_one=_l("Tag"),
    fields=[Field("name", _l("Name")), Field("colour", _l("Colour"), colour=True)],
    columns=["name", "colour", "usage"], search=["name"], sorts=["name"],
    default_sort="name",
    computed=[Computed("usage", _l("Customers"), _tag_usage, format=_customers)],
    create=_create_tag, update=_update_tag, delete=_delete_tag, delete_notice=_tag_notice,
    permissions=_managed_by(TAG_MANAGE), actions=ACTIONS, parent=PARENT, icon="tags",
    order=192, templates=LIST_TEMPLATE,
)


# ---------------------------------------------------------------------------- amount bands


class AmountField(StringField):
    """An amount typed in yuan ("10,000.50"), kept in minor units (fen) as the column is."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None
        text = str(valuelist[0] if valuelist else "").strip()
        if not text:
            raise ValueError(_l("Enter the amount from which a customer is in this band."))
        try:
            self.data = to_minor_units(text[:60], "min_amount")
        except FieldError as error:
            raise ValueError(str(error)) from None

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return taxonomy.plain_amount(self.data) if self.data is not None else ""


class BandForm(FlaskForm):
    """Add or change an amount band (the service checks both fields)."""

    name = StringField(_l("Name"), render_kw={"maxlength": 50})
    min_amount = AmountField(_l("From amount"), render_kw={"inputmode": "decimal"})


def _band_ranges(session: Session, records: list[AmountBand]) -> Mapping[int, str]:
    return {item.band.id: item.label
            for item in taxonomy.band_ranges(taxonomy.list_bands(session))}


def _threshold(minor: Any) -> Decimal | str:
    """The service's threshold (major units) of a value in minor units."""
    return Decimal(minor) / MINOR_UNITS if isinstance(minor, int) else ""


def _band_write(write: Any) -> Any:
    """Run ``write`` and name the form's field in its errors (``threshold`` is
    ``min_amount`` here)."""
    try:
        return write()
    except FieldError as error:
        if error.field == "threshold":
            raise FieldError("min_amount", str(error)) from None
        raise


def _create_band(session: Session, values: dict[str, Any], user: Any) -> AmountBand:
    return _band_write(lambda: taxonomy.create_band(
        session, values.get("name") or "", _threshold(values.get("min_amount"))))


def _update_band(session: Session, band: AmountBand, values: dict[str, Any],
                 user: Any) -> AmountBand:
    name = values.get("name", band.name)
    minor = values.get("min_amount", band.min_amount)
    return _band_write(lambda: taxonomy.update_band(session, band.id, name or "",
                                                    _threshold(minor)))


def _delete_band(session: Session, band: AmountBand, user: Any) -> str:
    taxonomy.delete_band(session, band.id)
    return _("Amount band deleted.")


def _band_notice(session: Session, band: AmountBand) -> str:
    return _("Delete the band %(name)s? Its customers will count in the band below it.",
             name=band.name)


BANDS = Resource(
    model=AmountBand, name="bands", label=_l("Amount bands"), label_one=_l("Amount band"),
    fields=[Field("name", _l("Name")),
            Field("min_amount", _l("From amount"), format=taxonomy.format_amount)],
    columns=["name", "min_amount", "range"], sorts=["min_amount", "name"],
    default_sort="min_amount", form_class=BandForm,
    computed=[Computed("range", _l("Range"), _band_ranges)],
    create=_create_band, update=_update_band, delete=_delete_band, delete_notice=_band_notice,
    permissions=_managed_by(TYPE_MANAGE), actions=ACTIONS, parent=PARENT,
    icon="bar-chart-steps", order=193, templates=LIST_TEMPLATE,
)


def resources() -> list[Resource]:
    """The three settings lists, for the plugin's ``crm_resources`` hook."""
    return [TYPES, TAGS, BANDS]
