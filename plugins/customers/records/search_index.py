"""The customers' search index: one search document per customer (name, code, phones,
emails, contacts, the name's pinyin and initials) in an FTS5 trigram table and a bigram
table on SQLite, or a pg_trgm-indexed table with a bigram array on PostgreSQL.

The tables are made by the migration ``customers_0003_search`` and kept in step by
``index_customers``, which the services and the bulk insert call after their flush;
``search`` reads them. ``plugins.customers.search.services`` re-exports these names.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Text, column, func, select, table, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from crm_core.toolkit import analyze, china_national_form

from ..models import Customer
from ..names import pinyin_syllables

__all__ = ["BATCH", "BIGRAM", "DOC", "FTS", "INITIALS_MARK", "bigram_table", "customer_document",
           "doc_table", "fold_text", "fts_table", "index_customers", "index_documents",
           "rebuild_index"]

BATCH = 2000  # customers per indexing statement: big enough to be fast, small for memory
FTS, BIGRAM, DOC = "customers_search_fts", "customers_search_bigram", "customers_search_doc"
INITIALS_MARK = "~"  # PostgreSQL keeps CJK and initials bigrams in one array
fts_table = table(FTS, column("rowid"))
bigram_table = table(BIGRAM, column("rowid"))
doc_table = table(DOC, column("customer_id"), column("doc"), column("grams", ARRAY(Text)))


# ---------------------------------------------------------------------------- documents


def fold_text(text: str) -> str:
    """Full width to half width, lower case (what both index and query are compared in)."""
    return unicodedata.normalize("NFKC", text or "").casefold()


def _phone_forms(number: str) -> list[str]:
    """The E.164 number and, for a Chinese landline, the national one (0 + area code), so
    ``1381234`` and ``010-1234`` find ``+8613812345678`` and ``+861012345678``.

    A Chinese mobile's national form is the end of its E.164 form, which every fragment of
    it matches already: indexing it again cost trigrams and found nothing more."""
    number = number.split(";", 1)[0]
    if number.startswith("+86"):
        national = china_national_form(number[3:])
        if national.startswith("0"):  # a landline (mobiles, 400 and 800 numbers take none)
            return [number, national]
    return [number]


_CJK_RUN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,}")  # as names.is_cjk


def _cjk_bigrams(text: str) -> list[str]:
    """Every pair of adjacent CJK characters of ``text`` ("北京华宇" gives 北京 京华 华宇)."""
    return [run[i:i + 2] for run in _CJK_RUN.findall(text) for i in range(len(run) - 1)]


def _pairs(text: str) -> list[str]:
    """Adjacent pairs of ``text``'s characters."""
    return [text[i:i + 2] for i in range(len(text) - 1)]


# Indexing runs for every imported batch, so it talks to the driver directly: one parameter
# for the whole id set, and plain tuples to executemany (SQLAlchemy's per-parameter
# processing cost more than the database's work).
def _in_ids(sqlite: bool) -> str:
    return "IN (SELECT value FROM json_each(?))" if sqlite else "= ANY(%s)"


def _ids_parameter(sqlite: bool, ids: list[int]) -> Any:
    return json.dumps(ids) if sqlite else ids


def customer_document(customer_id: int, name: str, code: str | None, *,
                      phones: Iterable[str] = (), emails: Iterable[str] = (),
                      contacts: Iterable[tuple[str, str, Iterable[str]]] = (),
                      syllables: list[str] | None = None) -> dict[str, Any]:
    """The search document of one customer from its values: ``phones`` (E.164) and
    ``emails`` as stored, ``contacts`` as ``(name, email, phones)``; ``syllables`` is
    ``names.pinyin_syllables(name)`` when the caller has it already.

    ``index_documents`` writes what this returns; the bulk insert builds its new customers'
    documents this way instead of reading them back. The bigrams (``cjk``, ``ini``) are
    space-separated, as the bigram table takes them: an import's cleaning process builds
    documents for the writing process, and one string unpickles faster than a list of
    twenty (docs/PERFORMANCE.md, issue 11).
    """
    extra = [form for number in phones for form in _phone_forms(number)]
    extra.extend(emails)
    cjk = _cjk_bigrams(name)
    for contact_name, email, numbers in contacts:
        cjk += _cjk_bigrams(contact_name)
        extra.extend([contact_name, email,
                      *(form for number in numbers or () for form in _phone_forms(number))])
    if syllables is None:
        syllables = pinyin_syllables(name)
    initials = "".join(syllable[:1] for syllable in syllables)
    return {
        "id": customer_id, "name": fold_text(name), "code": fold_text(code or ""),
        "extra": fold_text(" ".join(value for value in extra if value)),
        "pinyin": f"{''.join(syllables)} {initials}".strip(),
        "cjk": " ".join(dict.fromkeys(cjk)), "ini": " ".join(dict.fromkeys(_pairs(initials))),
    }


def _documents(connection: Any, ids: list[int]) -> list[dict[str, Any]]:
    """The search document of each existing customer among ``ids`` (one query per table)."""
    sqlite = connection.dialect.name == "sqlite"
    where, parameter = f"WHERE customer_id {_in_ids(sqlite)}", (_ids_parameter(sqlite, ids),)
    phones: dict[int, list[str]] = defaultdict(list)
    emails: dict[int, list[str]] = defaultdict(list)
    contacts: dict[int, list[tuple[str, str, Any]]] = defaultdict(list)
    for customer_id, number in connection.exec_driver_sql(
            f"SELECT customer_id, number FROM customers_customer_phone {where}", parameter):
        phones[customer_id].append(number)
    for customer_id, email in connection.exec_driver_sql(
            f"SELECT customer_id, email FROM customers_customer_email {where}", parameter):
        emails[customer_id].append(email)
    for customer_id, name, numbers, email in connection.exec_driver_sql(
            f"SELECT customer_id, name, phones, email FROM customers_contact {where}",
            parameter):
        numbers = json.loads(numbers) if isinstance(numbers, str) else numbers
        contacts[customer_id].append((name, email, numbers))
    return [customer_document(customer_id, name, code, phones=phones.get(customer_id, ()),
                              emails=emails.get(customer_id, ()),
                              contacts=contacts.get(customer_id, ()))
            for customer_id, name, code in connection.exec_driver_sql(
                f"SELECT id, name, code FROM customers_customer WHERE id {_in_ids(sqlite)}",
                parameter)]


def index_customers(session: Session, customer_ids: Iterable[int]) -> None:
    """(Re)build the search documents of these customers, after a flush.

    Documents of ids that no longer exist are removed. Works in batches of ``BATCH`` with one
    delete and one multi-row insert per table and batch, so the bulk import can call it for
    thousands of customers at once.
    """
    ids = list(dict.fromkeys(int(customer_id) for customer_id in customer_ids))
    connection = session.connection()
    write = _write_sqlite if connection.dialect.name == "sqlite" else _write_postgresql
    for start in range(0, len(ids), BATCH):
        batch = ids[start:start + BATCH]
        write(connection, batch, _documents(connection, batch))


def index_documents(session: Session, documents: list[dict[str, Any]]) -> None:
    """Write documents made by ``customer_document`` (replacing those of the same ids).

    For callers that hold every value of the customers already (the bulk insert of new
    customers, which have no contacts yet): nothing is read back, nothing computed twice.
    """
    connection = session.connection()
    write = _write_sqlite if connection.dialect.name == "sqlite" else _write_postgresql
    for start in range(0, len(documents), BATCH):
        batch = documents[start:start + BATCH]
        write(connection, [doc["id"] for doc in batch], batch)


def _write_sqlite(connection: Any, ids: list[int], documents: list[dict[str, Any]]) -> None:
    # Only when a document of these ids can exist: a DELETE opens a statement journal, which
    # makes FTS5 write out the documents it holds in memory as a segment of their own (a
    # bulk insert's new ids, above every indexed one, skip it; issue 11).
    if ids and connection.exec_driver_sql(
            f"SELECT 1 FROM {FTS} WHERE rowid >= ? LIMIT 1", (min(ids),)).first():
        for table_name in (FTS, BIGRAM):
            connection.exec_driver_sql(
                f"DELETE FROM {table_name} WHERE rowid {_in_ids(True)}", (json.dumps(ids),))
    if not documents:
        return
    connection.exec_driver_sql(
        f"INSERT INTO {FTS} (rowid, name, code, extra, pinyin) VALUES (?, ?, ?, ?, ?)",
        [(doc["id"], doc["name"], doc["code"], doc["extra"], doc["pinyin"])
         for doc in documents])
    connection.exec_driver_sql(
        f"INSERT INTO {BIGRAM} (rowid, cjk, ini) VALUES (?, ?, ?)",
        [(doc["id"], doc["cjk"], doc["ini"]) for doc in documents])


def _write_postgresql(connection: Any, ids: list[int], documents: list[dict[str, Any]]
                      ) -> None:
    connection.exec_driver_sql(f"DELETE FROM {DOC} WHERE customer_id = ANY(%s)", (ids,))
    if not documents:
        return
    # One statement per batch: three arrays unnested (a ragged text[][] cannot be, so each
    # row's bigrams travel space-separated). " | " keeps a fragment from matching across
    # two fields.
    connection.exec_driver_sql(
        f"INSERT INTO {DOC} (customer_id, doc, grams) "
        "SELECT id, doc, string_to_array(grams, ' ') "
        "FROM unnest(%s::int[], %s::text[], %s::text[]) AS batch (id, doc, grams)",
        ([doc["id"] for doc in documents],
         [" | ".join((doc["name"], doc["code"], doc["extra"], doc["pinyin"]))
          for doc in documents],
         [" ".join([*doc["cjk"].split(), *(INITIALS_MARK + pair for pair in doc["ini"].split())])
          for doc in documents]))


def rebuild_index(session: Session, batch: int = BATCH,
                  progress: Any = None) -> int:
    """Rebuild every customer's document in id order, committing after each batch (search
    keeps working meanwhile); then drop documents of customers that are gone and refresh the
    planner's statistics. Returns the number of customers indexed; ``progress(done, total)``
    is called after each batch."""
    total = session.scalar(select(func.count()).select_from(Customer)) or 0
    done, last = 0, 0
    while ids := list(session.scalars(select(Customer.id).where(Customer.id > last)
                                      .order_by(Customer.id).limit(batch))):
        index_customers(session, ids)
        session.commit()
        done, last = done + len(ids), ids[-1]
        if progress is not None:
            progress(done, total)
    if session.connection().dialect.name == "sqlite":
        for table_name in (FTS, BIGRAM):
            session.execute(text(f"DELETE FROM {table_name} WHERE rowid NOT IN "
                                 "(SELECT id FROM customers_customer)"))
            session.execute(text(f"INSERT INTO {table_name} ({table_name}) VALUES ('optimize')"))
    # Without statistics SQLite reads "deleted_at IS NULL" through its index (a scan); the
    # search documents are PostgreSQL's (skipped on SQLite).
    analyze(["customers_customer", DOC], session=session)
    session.commit()
    return done
