"""The custom fields in the customers export: a column per field the exporter may see,
headed by its label in the file's language, each cell as an import reads it back (money in
yuan, a multiple choice joined by commas). One statement per batch of customers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import custom_fields

from ..models import Customer
from ..records.custom import KIND


def export_fields(session: Session, user: Any) -> list[Any]:
    """The fields whose columns the export adds (those ``user`` may see; None: all)."""
    return custom_fields.visible_fields(session, KIND, user)


def headers(fields: list[Any]) -> list[str]:
    """The columns' headers, in the current language."""
    return [item.label(custom_fields.locale()) for item in fields]


def with_cells(session: Session, fields: list[Any], batch: list[Any],
               rows: list[list[str]]) -> list[list[str]]:
    """``rows`` (the file's rows of ``batch``, whose rows start with the customer id) with
    the custom cells added."""
    if not fields:
        return rows
    ids = [row[0] for row in batch]
    stored = dict(session.execute(select(Customer.id, Customer.custom)
                                  .where(Customer.id.in_(ids))).all())
    return [[*row, *(custom_fields.as_text(item, (stored.get(customer_id) or {})
                                                  .get(item.key)) for item in fields)]
            for customer_id, row in zip(ids, rows, strict=True)]


def rows_with_cells(session: Session, fields: list[Any],
                    pairs: Iterator[tuple[list[Any], list[list[str]]]]
                    ) -> Iterator[list[list[str]]]:
    """Each ``(batch, rows)`` as its rows with the custom cells."""
    for batch, rows in pairs:
        yield with_cells(session, fields, batch, rows)
