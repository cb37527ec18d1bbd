"""The customers export file: what it holds and how it is written in constant memory.

``write_export`` writes the customers a user may see, within their data scope and filters, to
CSV (UTF-8 with BOM, formulas neutralised) or XLSX through the kernel's
``toolkit.write_table``: the columns ``HEADERS``, in the current locale, read by keyset on
``id`` in batches of ``BATCH`` rows (never all at once) with the database formatting the
values, and each batch's phones, emails and tags looked up in one query each. ``exporting``
runs it as a job or a command.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import compress
from operator import eq, itemgetter
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Numeric,
    Select,
    String,
    case,
    cast,
    func,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session

from crm_core.toolkit import (
    DomainError,
    can_split,
    scan_cache,
    scoped,
    user_names,
    write_csv_in_parts,
    write_table,
)

from ..models import Customer, CustomerEmail, CustomerPhone, CustomerTag, CustomerType, Tag
from ..records.masking import export_maskers
from ..records.queries import filter_conditions
from ..records.sensitive import ENCRYPTED_COLUMNS, cell_openers, decrypted_cells
from ..segments.services import filters_from_json, filters_to_json
from . import custom as custom_export
from .writers import FORMATS, readable_phone

__all__ = ["BATCH", "HEADERS", "customer_tags", "write_export"]

BATCH = 5000


def N_(message: str) -> str:
    """Mark ``message`` for translation; it is translated when the file is written."""
    return message


# The file's columns, in order: (header msgid, customer column or None for a derived value).
HEADERS = (
    N_("Code"), N_("Name"), N_("Kind"), N_("Type"), N_("Industry"), N_("Province"),
    N_("City"), N_("Country"), N_("Source"), N_("Level"), N_("Status"), N_("Owner"),
    N_("Phones"), N_("Emails"), N_("Address"), N_("Website"), N_("USCC"),
    N_("Total amount"), N_("Last contact"), N_("Tags"), N_("Created"),
    N_("ID card number"), N_("Bank"), N_("Bank account"),
)
_KINDS = {"company": N_("Company"), "person": N_("Person")}
_AMOUNT_COLUMN = HEADERS.index(N_("Total amount"))


def _moment(column: Any, dialect: str) -> ColumnElement[str]:
    """``column`` (a time) as ``YYYY-MM-DD HH:MM`` in UTC, "" for none, formatted by the
    database: parsing a million datetimes in Python only to format them again would cost
    more than the rest of the row."""
    if dialect == "postgresql":
        text = func.to_char(func.timezone("UTC", column), "YYYY-MM-DD HH24:MI")
    else:  # SQLite keeps UTC times as text, "2026-11-27 08:18:05.108171"
        text = func.substr(func.replace(type_coerce(column, String), "T", " "), 1, 16)
    return func.coalesce(text, "")


def _money(column: Any, dialect: str) -> ColumnElement[str]:
    """Minor units (hundredths, MINOR_UNITS) as exact decimal text, ``-510`` -> ``-5.10``,
    formatted by the database with integer arithmetic (no float on the way)."""
    if dialect == "postgresql":
        return cast(cast(cast(column, Numeric) / 100, Numeric(30, 2)), String)
    units = type_coerce(func.abs(column), BigInteger)
    return func.printf("%s%d.%02d", case((column < 0, "-"), else_=""), units // 100,
                       units % 100)


def _columns(dialect: str) -> tuple[Any, ...]:
    """The columns read from the database, every text one as text ("" for none)."""
    return (Customer.id, func.coalesce(Customer.code, ""), Customer.name, Customer.kind,
            Customer.customer_type_id, Customer.industry, Customer.province, Customer.city,
            Customer.country, Customer.source, Customer.level, Customer.status,
            Customer.owner_id, Customer.address, Customer.website,
            func.coalesce(Customer.uscc, ""), _money(Customer.total_amount, dialect),
            _moment(Customer.last_contact_at, dialect), _moment(Customer.created_at, dialect),
            *ENCRYPTED_COLUMNS)  # read raw, decrypted in ``_rows``


# ---------------------------------------------------------------------------- look-ups


def customer_tags(session: Session, customer_ids: Iterable[int]) -> dict[int, list[Tag]]:
    """``{customer id: [Tag, ...]}`` (by tag name) for the given customers, in one query."""
    wanted = list(customer_ids)
    found: dict[int, list[Tag]] = {}
    if not wanted:
        return found
    rows = session.execute(select(CustomerTag.customer_id, Tag).join(
        Tag, Tag.id == CustomerTag.tag_id).where(CustomerTag.customer_id.in_(wanted))
        .order_by(Tag.name))
    for customer_id, tag in rows:
        found.setdefault(customer_id, []).append(tag)
    return found


def _plain_rows(session: Session, statement: Select[Any]) -> list[tuple[Any, ...]]:
    """Every row of ``statement`` as the driver's plain tuples.

    The export's columns are text and integers that need no result processing, and building
    SQLAlchemy's Row objects took about a quarter of an export's time; so the rows are read
    straight from the cursor of the executed statement (bound values were still processed)."""
    result = session.connection().execute(statement)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


def _in_batch(column: Any, ids: list[int]) -> ColumnElement[bool]:
    """``column`` among ``ids`` (ascending): a range when they are dense (an unfiltered
    export), as rendering thousands of bound values costs more than reading a few extra
    rows; else a plain ``IN``. Callers drop the rows of ids outside the batch."""
    if len(ids) * 2 >= ids[-1] - ids[0] + 1:
        return column.between(ids[0], ids[-1])
    return column.in_(ids)


def _joined(rows: list[tuple[int, str]], separator: str,
            shown: Callable[[str], str] | None = None) -> dict[int, str]:
    """``{customer id: its values joined by separator}`` of ``(customer id, value)`` rows
    sorted by customer id, each value passed through ``shown`` first.

    Built with C-level iteration (``dict``, ``map``, ``compress``): most customers have one
    value, and only the rows of those with several are grouped in a Python loop."""
    keys = list(map(itemgetter(0), rows))
    values = map(itemgetter(1), rows)
    if shown is not None:
        values = map(shown, values)
    shown_rows = list(zip(keys, values, strict=True))
    found = dict(shown_rows)  # the last value of each customer: right when it is the only one
    if len(found) < len(rows):
        repeated = set(compress(keys, map(eq, keys, keys[1:])))  # equal to the next key
        groups: dict[int, list[str]] = {}
        for key, value in compress(shown_rows, map(repeated.__contains__, keys)):
            groups.setdefault(key, []).append(value)
        found.update({key: separator.join(group) for key, group in groups.items()})
    return found


def _values_by_customer(session: Session, column: Any, owner: Any, position: Any,
                        ids: list[int], shown: Callable[[str], str] | None = None
                        ) -> dict[int, str]:
    rows = _plain_rows(session, select(owner, column).where(_in_batch(owner, ids))
                       .order_by(owner, position))
    return _joined(rows, "; ", shown)


def _tag_names(session: Session, ids: list[int]) -> dict[int, str]:
    rows = _plain_rows(session, select(CustomerTag.customer_id, Tag.name)
                       .join(Tag, Tag.id == CustomerTag.tag_id)
                       .where(_in_batch(CustomerTag.customer_id, ids))
                       .order_by(CustomerTag.customer_id, Tag.name))
    return _joined(rows, ", ")


# ---------------------------------------------------------------------------- filters


def _conditions(filters: Mapping[str, Any]) -> list[ColumnElement[bool]]:
    # The list's own rules, so an export holds exactly what the list showed; the trash is
    # no filter here (segments.filters_to_json refuses it as unknown).
    return filter_conditions(filters_from_json(filters_to_json(filters)))


def _selection(user: Any, filters: Mapping[str, Any], dialect: str) -> Select[Any]:
    """What may be exported: not in the trash, in ``user``'s scope (None: everyone)."""
    query = select(*_columns(dialect)).where(Customer.deleted_at.is_(None))
    if user is not None:
        query = scoped(query, Customer, user)
    for condition in _conditions(filters):
        query = query.where(condition)
    return query


# ---------------------------------------------------------------------------- writing


def _batches(session: Session, query: Select[Any], ids: list[int] | None
             ) -> Iterator[list[Any]]:
    """Rows of ``query`` by ascending id, ``BATCH`` at a time (keyset, or chunks of ids)."""
    if ids is not None:
        ordered = sorted(set(ids))
        for start in range(0, len(ordered), BATCH):
            chunk = ordered[start:start + BATCH]
            rows = _plain_rows(session, query.where(Customer.id.in_(chunk))
                               .order_by(Customer.id))
            if rows:
                yield rows
        return
    last_id = 0
    while True:
        rows = _plain_rows(session, query.where(Customer.id > last_id).order_by(Customer.id)
                           .limit(BATCH))
        if not rows:
            return
        yield rows
        last_id = rows[-1][0]


def _rows(session: Session, batch: list[Any], types: dict[int, str],
          owners: dict[int, str], masks: Mapping[str, Any] | None = None) -> list[list[str]]:
    """The file's rows (text cells) of one batch of customers, with their children;
    ``masks`` hide the values the exporter may not read in clear (``export_maskers``)."""
    ids = [row[0] for row in batch]  # ascending
    masks = masks or {}
    phones = _values_by_customer(session, CustomerPhone.number, CustomerPhone.customer_id,
                                 CustomerPhone.position, ids,
                                 masks.get("phones", readable_phone))
    emails = _values_by_customer(session, CustomerEmail.email, CustomerEmail.customer_id,
                                 CustomerEmail.position, ids, masks.get("emails"))
    address_shown = masks.get("address", str)
    tags = _tag_names(session, ids)
    missing = {row[12] for row in batch} - owners.keys()
    owners.update(user_names(session, missing))
    kinds = {key: _(label) for key, label in _KINDS.items()}
    openers = cell_openers()
    return [
        [code, name, kinds.get(kind, kind), types.get(type_id, ""), industry, province, city,
         country, source, level, status, owners.get(owner_id, ""), phones.get(customer_id, ""),
         emails.get(customer_id, ""), address_shown(address) if address else address,
         website, uscc, amount, last_contact, tags.get(customer_id, ""), created,
         *decrypted_cells(encrypted, masks, openers)]
        for (customer_id, code, name, kind, type_id, industry, province, city, country, source,
             level, status, owner_id, address, website, uscc, amount, last_contact,
             created, *encrypted) in batch]


def write_export(session: Session, path: Path, *, fmt: str = "csv", user: Any = None,
                 ids: list[int] | None = None, filters: Mapping[str, Any] | None = None,
                 progress: Callable[[int, int], None] | None = None) -> int:
    """Write the customers ``user`` may see (None: every customer) to ``path``; returns
    how many were written.

    ``ids`` limits the export to those customers, ``filters`` are those of
    ``list_customers``; customers in the trash are never exported. Phones, e-mails and
    addresses are masked for a ``user`` without ``customers.customer.view_sensitive``
    (None, the CLI, writes them in clear). Headers and
    kinds are in the current locale. ``progress(done, total)`` is called after each batch.
    """
    if fmt not in FORMATS:
        raise DomainError(_("Export as csv or xlsx."))
    with scan_cache(session):  # each page is read once (crm_core.db.SCAN_CACHE_KIB)
        return _write_export(session, path, fmt, user, ids, filters, progress)


def _write_export(session: Session, path: Path, fmt: str, user: Any, ids: list[int] | None,
                  filters: Mapping[str, Any] | None,
                  progress: Callable[[int, int], None] | None) -> int:
    query = _selection(user, filters or {}, session.get_bind().dialect.name)
    if ids is not None:
        total = len(set(ids))
    else:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    types = {row.id: row.name for row in session.execute(
        select(CustomerType.id, CustomerType.name))}
    owners: dict[int, str] = {}
    masks = export_maskers(user)
    fields = custom_export.export_fields(session, user)  # an administrator's fields
    headers = [_(header) for header in HEADERS] + custom_export.headers(fields)
    counted = None if progress is None else \
        lambda written: progress(written, max(total, written))

    def file_rows(reading: Session, selection: Select[Any], chosen: list[int] | None
                  ) -> Iterator[list[list[str]]]:
        return custom_export.rows_with_cells(reading, fields, (
            (batch, _rows(reading, batch, types, owners, masks))
            for batch in _batches(reading, selection, chosen)))

    if ids is None and can_split(fmt, total):
        # a large CSV: the first half of the ids written here, the second by another process
        middle = session.scalar(query.with_only_columns(Customer.id).order_by(Customer.id)
                                .offset(total // 2).limit(1))
        if middle is not None:
            halves = (query.where(Customer.id < middle), query.where(Customer.id >= middle))
            return write_csv_in_parts(
                path, headers, lambda own, index: file_rows(own or session, halves[index], None),
                engine=session.get_bind(), parts=len(halves), progress=counted)
    # the kernel's constant-memory writer: a BOM for CSV, formulas neutralised, amounts typed
    return write_table(path, fmt, headers, file_rows(session, query, ids),
                       sheet_title=_("Customers"), number_columns=[_AMOUNT_COLUMN],
                       progress=counted)
