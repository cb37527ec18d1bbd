"""Inserting many already-clean customers fast (imports, demo data).

One driver-level executemany per table (customers, phones, emails, tags) on the session's
connection, through the kernel's ``toolkit.bulk_write`` / ``insert_many``, with ids taken from
the database up front and codes assigned before the insert, so nothing is read back row by
row. Rows written this way bypass the ORM unit of work: instead of one log entry per row,
``bulk_write`` writes one scoped entry per batch (and owner) naming the new customers' ids.
No ``customer_created`` event is called (callers emit it when they need to).
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.orm import Session

from crm_core.toolkit import analyze as analyze_tables
from crm_core.toolkit import bulk_write, insert_many, utcnow

from ..models import ContactRecord, Customer, CustomerEmail, CustomerPhone, CustomerTag
from ..names import name_key, pinyin, spell_name
from .search_index import customer_document, fold_text, index_documents
from .sensitive import index_for_driver

__all__ = ["allocate_ids", "analyze", "generated_code", "insert_customers", "set_loading"]

_TABLE = Customer.__table__
# Children and maintained keys, not columns the caller passes as such.
_EXTRA_KEYS = ("phones", "emails", "tag_ids")


def generated_code(customer_id: int) -> str:
    """The code a customer without one gets: ``C000001`` from its id (as the services do)."""
    return f"C{customer_id:06d}"


def allocate_ids(session: Session, count: int) -> list[int]:
    """``count`` new customer ids, reserved from the database so inserts need no RETURNING.

    PostgreSQL hands them out from the table's sequence (safe with concurrent writers).
    SQLite continues after the highest id, read after taking the database's write lock (held
    until the caller commits), so no other writer can take those ids meanwhile.
    """
    if count <= 0:
        return []
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        return list(connection.scalars(text(
            "SELECT nextval(pg_get_serial_sequence('customers_customer', 'id')) "
            "FROM generate_series(1, :n)"), {"n": count}))
    # A write that changes nothing still takes SQLite's write lock for this transaction. One
    # row by its id, not "WHERE 0": a statement that may change many rows opens a statement
    # journal, which makes FTS5 write out the search documents it holds in memory as a
    # segment of their own (docs/PERFORMANCE.md, issue 11, twelfth session).
    connection.exec_driver_sql("UPDATE customers_customer SET name = name WHERE id = 0")
    start = connection.scalar(select(func.coalesce(func.max(_TABLE.c.id), 0)))
    return list(range(start + 1, start + 1 + count))


def _defaults() -> dict[str, Any]:
    """Each column's value when a row leaves it out (Core inserts need one key set)."""
    values: dict[str, Any] = {}
    for column in _TABLE.columns:
        default = column.default
        if default is None:
            values[column.key] = None
        elif default.is_scalar:
            values[column.key] = default.arg
        else:
            values[column.key] = None  # callable (timestamps): filled per batch below
    return values


_DEFAULTS = _defaults()
_COLUMNS = tuple(_DEFAULTS)
# Filled per row below rather than taken from the row's dict as they are.
_COMPUTED = frozenset({"id", "code", "uscc", "name_key", "pinyin_key", "created_at",
                       "updated_at", "import_id"})
_AS_TUPLE = operator.itemgetter(*_COLUMNS)  # a row's values in the order of _COLUMNS
_PLAIN = {key: default for key, default in _DEFAULTS.items() if key not in _COMPUTED}


# The generated codes of a batch (its new ids, C050001 ... C052000) lie in one range of the
# code index: one range read instead of an IN of 2,000 parameters, the hits kept in Python.
_CODES_BETWEEN = select(_TABLE.c.code).where(_TABLE.c.code >= bindparam("low"),
                                             _TABLE.c.code <= bindparam("high"))


def _taken_codes(session: Session, codes: Iterable[str]) -> set[str]:
    wanted = set(codes)
    by_length: dict[int, list[str]] = {}
    for code in wanted:  # same length: the string order is the ids' (C999999 < C1000000)
        by_length.setdefault(len(code), []).append(code)
    found: set[str] = set()
    for same in by_length.values():
        found.update(session.connection().scalars(
            _CODES_BETWEEN, {"low": min(same), "high": max(same)}))
    return found & wanted


def _assign_codes(session: Session, rows: list[dict[str, Any]]) -> None:
    """Give each row without a code ``C<id>``, with a suffix when that code is taken."""
    given = {row["code"] for row in rows if row["code"]}
    missing = [row for row in rows if not row["code"]]
    if not missing:
        return
    codes = [generated_code(row["id"]) for row in missing]
    taken = _taken_codes(session, codes) | given
    for row, base in zip(missing, codes, strict=True):
        code, suffix = base, 0
        while code in taken:  # rare: someone typed a code of this form by hand
            suffix += 1
            code = f"{base}-{suffix}"
            taken |= _taken_codes(session, [code])
        taken.add(code)
        row["code"] = code


def insert_customers(session: Session, rows: list[dict[str, Any]], *,
                     import_id: int | None = None, index: bool = True,
                     event: str | None = "bulk_create") -> list[int]:
    """Insert already-clean customers fast; returns their ids in the order of ``rows``.

    Each dict holds Customer columns (anything left out gets the column's default) plus
    ``phones`` and ``emails`` lists already normalised (E.164, lower case) and optionally
    ``tag_ids``, ``name_syllables`` (``names.pinyin_syllables(name)``, when the caller
    has it: ``names.spell_name`` gives it with the keys) and ``follow_up`` (an imported
    follow-up: ``(occurred_at, next day or None, content)``, written as a contact record).
    Codes are assigned (``C000001``) where missing, ``name_key`` and ``pinyin_key``
    computed from the name unless given, ``import_id`` set on every row, and the search
    documents built from these values (``index=False`` leaves that to the caller, who adds
    contacts first and then calls ``search.index_customers``). Nothing is validated:
    callers pass clean data (the import validates, demo data is generated clean). The caller
    commits. The rows' dicts are read, never changed.
    """
    if not rows:
        return []
    ids = allocate_ids(session, len(rows))
    now = utcnow()
    customers: list[dict[str, Any]] = []
    phones: list[tuple[int, str, int]] = []
    emails: list[tuple[int, str, int]] = []
    tags: list[tuple[int, int]] = []
    spellings: list[list[str] | None] = []  # each name's pinyin syllables, when known
    records: list[tuple[Any, ...]] = []  # an imported follow-up: one contact record each
    for customer_id, row in zip(ids, rows, strict=True):
        get = row.get
        # the defaults overlaid with the row (C-level copies); keys that are no columns
        # (phones, the search document) ride along unread, and the computed ones are set below
        values = _PLAIN.copy()
        values.update(row)
        key, spelled, syllables = get("name_key"), get("pinyin_key"), get("name_syllables")
        if not key and spelled is None:
            key, spelled, read = spell_name(values["name"])
            syllables = syllables or read
        elif spelled is None:
            spelled = pinyin(key)
        created = get("created_at") or now
        values["id"], values["code"], values["uscc"] = customer_id, get("code") or None, \
            get("uscc") or None
        values["name_key"], values["pinyin_key"] = key or name_key(values["name"]), spelled
        values["created_at"], values["updated_at"] = created, get("updated_at") or created
        values["import_id"] = import_id if import_id is not None else get("import_id")
        if values["id_card_number"] or values["bank_name"] or values["bank_account"]:
            index_for_driver(values)  # blind indexes (sensitive.py)
        if (follow_up := get("follow_up")) is not None:  # (when, next day, what was said)
            occurred, next_day, content = follow_up
            values["last_contact_at"] = occurred
            if next_day is not None:
                values["follow_up_on"], values["follow_up_by"] = next_day, values["owner_id"]
            records.append((customer_id, "other", content, occurred, values["owner_id"],
                            next_day))
        customers.append(values)
        spellings.append(syllables)
        if found := get("phones"):
            phones.extend((customer_id, number, position)
                          for position, number in enumerate(found))
        if found := get("emails"):
            emails.extend((customer_id, email, position)
                          for position, email in enumerate(found))
        if found := get("tag_ids"):
            tags.extend((customer_id, tag_id) for tag_id in dict.fromkeys(found))
    _assign_codes(session, customers)
    # one operation-log entry per batch (and owner) names the new customers; their phones,
    # emails and tags go in unlogged: the customer's entry covers them
    bulk_write(_TABLE, list(map(_AS_TUPLE, customers)), columns=_COLUMNS, event=event,
               session=session, batch=max(len(customers), 1),
               changes={"import_id": import_id} if import_id is not None else None)
    connection = session.connection()
    insert_many(connection, CustomerPhone.__table__, ("customer_id", "number", "position"),
                phones)
    insert_many(connection, CustomerEmail.__table__, ("customer_id", "email", "position"),
                emails)
    insert_many(connection, CustomerTag.__table__, ("customer_id", "tag_id"), tags)
    insert_many(connection, ContactRecord.__table__, ("customer_id", "kind", "content",
                                                      "occurred_at", "user_id",
                                                      "next_follow_up"), records)
    if index:
        _index_new(session, customers, rows, spellings)
    return ids


def _index_new(session: Session, customers: list[dict[str, Any]],
               rows: list[dict[str, Any]], spellings: list[list[str] | None]) -> None:
    """Search documents of customers just inserted, from their values (they have no
    contacts yet), so nothing is read back and no name is spelled in pinyin twice. A row's
    ``search_document`` (``customer_document`` without id and code, which the import's
    cleaner builds beforehand, in a second process for a large file) is completed."""
    documents = []
    for values, row, syllables in zip(customers, rows, spellings, strict=True):
        made = row.get("search_document")
        code = values["code"]
        if made is None:
            made = customer_document(values["id"], values["name"], code,
                                     phones=row.get("phones") or (),
                                     emails=row.get("emails") or (), syllables=syllables)
        else:
            made = {**made, "id": values["id"],
                    "code": code.casefold() if code.isascii() else fold_text(code)}
        documents.append(made)
    index_documents(session, documents)


# The tables a bulk load fills; the planner needs their new sizes afterwards.
ANALYZED = ("customers_customer", "customers_customer_phone", "customers_customer_email",
            "customers_customer_tag", "customers_contact")
_SEARCH_DOC = "customers_search_doc"  # PostgreSQL's search documents (a plain table)


def analyze(session: Session) -> None:
    """Refresh the planner's statistics of the customer tables after a bulk load (or a bulk
    delete), so that it knows their sizes: without them PostgreSQL planned searches that took
    0.8–2.3 s right after a load, and SQLite reads "deleted_at IS NULL" through its index.

    On SQLite the statistics are sampled (``analysis_limit``), so this takes well under a
    second at a million customers. Runs in the caller's transaction; the caller commits.
    The search documents exist on PostgreSQL only; ``toolkit.analyze`` skips them elsewhere.
    """
    analyze_tables([*ANALYZED, _SEARCH_DOC], session=session)


# SQLite settings of the connection that loads: a page cache big enough for the indexes the
# inserts touch (the default 2 MiB halves the rate; at a million customers 512 MiB against
# 64 MiB took a 1M-row import from 128 to 117 s; only a load that big fills it), temporary
# b-trees in memory, and WAL checkpoints every ~80 MiB instead of every 4 MiB (each rewrites
# the hot index pages).
LOADING_PRAGMAS = {"cache_size": -524288, "temp_store": 2, "wal_autocheckpoint": 20000}
_USUAL = "crm_usual_pragmas"  # the connection's own values, kept while it loads


def set_loading(session: Session, on: bool = True) -> None:
    """Put the session's SQLite connection in (``on``) or back out of its bulk-loading
    settings (``LOADING_PRAGMAS``; out: the values it had before). Nothing on PostgreSQL.
    Call it again after each commit that may have handed the connection back to the pool."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    kept = connection.info.get(_USUAL)
    if on and kept is None:
        connection.info[_USUAL] = {name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                                   for name in LOADING_PRAGMAS}
    elif not on:
        connection.info.pop(_USUAL, None)
    values = LOADING_PRAGMAS if on else kept or {}
    for name, value in values.items():
        connection.exec_driver_sql(f"PRAGMA {name}={int(value)}")
