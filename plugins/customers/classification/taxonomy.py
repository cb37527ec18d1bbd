"""Editing the classification tables an administrator keeps: customer types, tags and
transaction-amount bands (rename, recolour, reorder, delete).

These are not customers, so their services live here; creating a type or a tag goes
through ``services.create_customer_type`` / ``services.create_tag`` (the public
functions). Deleting a type or a tag leaves its customers in place: the database clears the
type (``ON DELETE SET NULL``) or drops the tag links (``CASCADE``), and the operation log
records those rows as changed "by the database (cascade)". Functions flush; the caller
commits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_core.toolkit import DomainError

from ..models import MINOR_UNITS, AmountBand, Customer, CustomerTag, CustomerType, Tag
from ..records import services
from ..records.fields import to_minor_units
from ..validation import FieldError

__all__ = ["BandRange", "band_ranges", "create_band", "create_tag", "create_type",
           "delete_band", "delete_tag", "delete_type", "format_amount", "list_bands",
           "list_tags", "list_types", "move_type", "plain_amount", "rename_type", "tag_usage",
           "type_usage", "update_band", "update_tag"]

_COLOUR = re.compile(r"#[0-9a-f]{6}")


class NotFound(DomainError):
    """The type, tag or band is gone (deleted meanwhile); pages answer 404."""

    status = 404


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


# ---------------------------------------------------------------------------- types


def list_types(session: Session) -> list[CustomerType]:
    """Every customer type in the administrator's order."""
    return list(session.scalars(select(CustomerType).order_by(CustomerType.position,
                                                              CustomerType.id)))


def type_usage(session: Session) -> dict[int, int]:
    """How many customers (the trash included) have each type, by type id."""
    rows = session.execute(select(Customer.customer_type_id, func.count())
                           .where(Customer.customer_type_id.is_not(None))
                           .group_by(Customer.customer_type_id))
    return {type_id: count for type_id, count in rows}


def _get_type(session: Session, type_id: int) -> CustomerType:
    kind = session.get(CustomerType, type_id)
    if kind is None:
        raise NotFound(_("There is no such customer type."))
    return kind


def create_type(session: Session, name: str, description: str = "") -> CustomerType:
    """Add a customer type at the end of the order; the name is required and unique."""
    last = session.scalar(select(func.max(CustomerType.position)))
    kind = services.create_customer_type(session, name, description)
    kind.position = (last if last is not None else -1) + 1
    session.flush()
    return kind


def rename_type(session: Session, type_id: int, name: str) -> CustomerType:
    """Give the type a new name (required, at most 100 characters, unique)."""
    kind = _get_type(session, type_id)
    name = _one_line(name)
    if not name or len(name) > 100:
        raise FieldError("name", _("A customer type needs a name of at most %(max)d "
                                   "characters.", max=100))
    taken = session.scalar(select(CustomerType.id).where(CustomerType.name == name,
                                                         CustomerType.id != kind.id))
    if taken is not None:
        raise FieldError("name", _("The customer type %(name)s already exists.", name=name))
    kind.name = name
    session.flush()
    return kind


def move_type(session: Session, type_id: int, step: int) -> None:
    """Move the type ``step`` places up (negative) or down (positive) in the order."""
    kinds = list_types(session)
    index = next((i for i, kind in enumerate(kinds) if kind.id == type_id), None)
    if index is None:
        raise NotFound(_("There is no such customer type."))
    target = max(0, min(len(kinds) - 1, index + step))
    kinds.insert(target, kinds.pop(index))
    for position, kind in enumerate(kinds):  # also repairs gaps and ties
        if kind.position != position:
            kind.position = position
    session.flush()


def delete_type(session: Session, type_id: int) -> int:
    """Delete the type; its customers keep everything else and have no type. Returns how
    many customers had it."""
    kind = _get_type(session, type_id)
    used = type_usage(session).get(kind.id, 0)
    session.delete(kind)
    session.flush()
    return used


# ---------------------------------------------------------------------------- tags


def list_tags(session: Session) -> list[Tag]:
    """Every tag, by name."""
    return list(session.scalars(select(Tag).order_by(Tag.name, Tag.id)))


def tag_usage(session: Session) -> dict[int, int]:
    """How many customers (the trash included) carry each tag, by tag id."""
    rows = session.execute(select(CustomerTag.tag_id, func.count())
                           .group_by(CustomerTag.tag_id))
    return {tag_id: count for tag_id, count in rows}


def _clean_colour(colour: str | None) -> str:
    value = (colour or "").strip().lower()
    if not _COLOUR.fullmatch(value):
        raise FieldError("colour", _("Choose the colour as #rrggbb, such as #0d6efd."))
    return value


def create_tag(session: Session, name: str, colour: str = "#6c757d") -> Tag:
    """Add a tag (unique name, #rrggbb colour)."""
    return services.create_tag(session, name, colour)


def update_tag(session: Session, tag_id: int, *, name: str | None = None,
               colour: str | None = None) -> Tag:
    """Rename and/or recolour the tag; None leaves that value as it is."""
    tag = session.get(Tag, tag_id)
    if tag is None:
        raise NotFound(_("There is no such tag."))
    if name is not None:
        name = _one_line(name)
        if not name or len(name) > 50:
            raise FieldError("name", _("A tag needs a name of at most %(max)d characters.",
                                       max=50))
        if session.scalar(select(Tag.id).where(Tag.name == name, Tag.id != tag.id)):
            raise FieldError("name", _("The tag %(name)s already exists.", name=name))
        tag.name = name
    if colour is not None:
        tag.colour = _clean_colour(colour)
    session.flush()
    return tag


def delete_tag(session: Session, tag_id: int) -> int:
    """Delete the tag and take it off every customer; returns how many carried it."""
    tag = session.get(Tag, tag_id)
    if tag is None:
        raise NotFound(_("There is no such tag."))
    used = tag_usage(session).get(tag.id, 0)
    session.delete(tag)
    session.flush()
    return used


# ---------------------------------------------------------------------------- amount bands


@dataclass(frozen=True)
class BandRange:
    """A band with the range of total amounts it covers, in minor units (``upper`` is the
    next band's threshold, excluded; None for the top band)."""

    band: AmountBand
    lower: int
    upper: int | None

    @property
    def label(self) -> str:
        """The range as people write it: "0 – 10,000", "≥ 100,000"."""
        if self.upper is None:
            return f"≥ {format_amount(self.lower)}"
        return f"{format_amount(self.lower)} – {format_amount(self.upper)}"


def format_amount(minor: int) -> str:
    """Minor units as major units with thousands separators ("10,000", "12.50")."""
    major = Decimal(minor) / MINOR_UNITS
    return f"{major:,.0f}" if minor % MINOR_UNITS == 0 else f"{major:,.2f}"


def plain_amount(minor: int) -> str:
    """Minor units as a number to type in again ("10000", "12.50")."""
    major = Decimal(minor) / MINOR_UNITS
    return f"{major:.0f}" if minor % MINOR_UNITS == 0 else f"{major:.2f}"


def list_bands(session: Session) -> list[AmountBand]:
    """The amount bands from the lowest threshold up."""
    return list(session.scalars(select(AmountBand).order_by(AmountBand.min_amount)))


def band_ranges(bands: list[AmountBand]) -> list[BandRange]:
    """Each band (sorted by threshold) with the range it covers up to the next one."""
    ordered = sorted(bands, key=lambda band: band.min_amount)
    return [BandRange(band, band.min_amount,
                      ordered[i + 1].min_amount if i + 1 < len(ordered) else None)
            for i, band in enumerate(ordered)]


def _clean_band(session: Session, name: str, threshold: Decimal | int | str,
                band_id: int | None) -> tuple[str, int]:
    name = _one_line(name)
    if not name or len(name) > 50:
        raise FieldError("name", _("A band needs a name of at most %(max)d characters.",
                                   max=50))
    if str(threshold).strip() == "":
        raise FieldError("threshold", _("Enter the amount from which a customer is in this "
                                        "band."))
    minor = to_minor_units(threshold, "threshold")
    if minor < 0:
        raise FieldError("threshold", _("A threshold is zero or more."))
    others = select(AmountBand).where(AmountBand.id != band_id) if band_id else \
        select(AmountBand)
    for other in session.scalars(others):
        if other.name == name:
            raise FieldError("name", _("The band %(name)s already exists.", name=name))
        if other.min_amount == minor:
            raise FieldError("threshold", _("The band %(name)s already starts at %(amount)s.",
                                            name=other.name, amount=format_amount(minor)))
    return name, minor


def create_band(session: Session, name: str, threshold: Decimal | int | str) -> AmountBand:
    """Add a band for customers whose total amount is at least ``threshold`` (major units,
    up to two decimals) and below the next band's; names and thresholds are unique."""
    name, minor = _clean_band(session, name, threshold, None)
    band = AmountBand(name=name, min_amount=minor)
    session.add(band)
    session.flush()
    return band


def update_band(session: Session, band_id: int, name: str, threshold: Decimal | int | str
                ) -> AmountBand:
    """Change a band's name and threshold (same rules as ``create_band``)."""
    band = session.get(AmountBand, band_id)
    if band is None:
        raise NotFound(_("There is no such amount band."))
    band.name, band.min_amount = _clean_band(session, name, threshold, band.id)
    session.flush()
    return band


def delete_band(session: Session, band_id: int) -> None:
    """Delete a band; its customers fall into the band below (after the next refresh)."""
    band = session.get(AmountBand, band_id)
    if band is None:
        raise NotFound(_("There is no such amount band."))
    session.delete(band)
    session.flush()
