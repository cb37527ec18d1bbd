"""Customer search: the index (FTS5 trigram on SQLite, pg_trgm on PostgreSQL), the
two-character Chinese path, pinyin, ranking, and the global search box.

Each customer has one search document (keyed by its id) holding its name, code, phones (E.164
and the national number), emails, its contacts' names, phones and emails, and the name's full
pinyin and pinyin initials. Fragments of three characters and more use the trigram index;
two-character fragments (which a trigram index silently never finds) use a second index of
precomputed bigrams: the CJK character pairs of the names and contact names, and the adjacent
pairs of the name's pinyin initials. Initials with a gap (``bjkj`` for 北京华宇科技, initials
``bjhykj``) are found as the query's pairs (``bj``, ``kj``) each present as adjacent initials,
then checked in order in Python.

The index tables are made by the migration ``customers_0003_search`` and kept in step by
``index_customers``, which the services and the bulk insert call after their flush.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

import click
from sqlalchemy import Select, Text, column, func, select, table, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from crm_core.toolkit import DomainError, SearchHit, db, scoped

from .models import Customer, CustomerEmail, CustomerPhone
from .names import is_cjk, pinyin_syllables

__all__ = ["BATCH", "customer_document", "index_customers", "index_documents", "rebuild_index",
           "search_customers"]

BATCH = 2000  # customers per indexing statement: big enough to be fast, small for memory
FTS, BIGRAM, DOC = "customers_search_fts", "customers_search_bigram", "customers_search_doc"
_INITIALS_MARK = "~"  # PostgreSQL keeps CJK and initials bigrams in one array
_PHONE_LIKE = re.compile(r"\+?[\d\s\-()]+")
_fts = table(FTS, column("rowid"))
_bigram = table(BIGRAM, column("rowid"))
_doc = table(DOC, column("customer_id"), column("doc"), column("grams", ARRAY(Text)))


# ---------------------------------------------------------------------------- documents


def _fold(text: str) -> str:
    """Full width to half width, lower case (what both index and query are compared in)."""
    return unicodedata.normalize("NFKC", text or "").casefold()


def _phone_forms(number: str) -> list[str]:
    """The E.164 number and, for China, the national one (0 + area code for landlines), so
    ``1381234`` and ``010-1234`` find ``+8613812345678`` and ``+861012345678``."""
    number = number.split(";", 1)[0]
    forms = [number]
    if number.startswith("+86"):
        national = number[3:]
        mobile = len(national) == 11 and national.startswith("1")  # 10 is Beijing's code
        forms.append(national if mobile else "0" + national)
    return forms


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
    documents this way instead of reading them back.
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
        "id": customer_id, "name": _fold(name), "code": _fold(code or ""),
        "extra": _fold(" ".join(value for value in extra if value)),
        "pinyin": f"{''.join(syllables)} {initials}".strip(),
        "cjk": list(dict.fromkeys(cjk)), "ini": list(dict.fromkeys(_pairs(initials))),
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
    for table_name in (FTS, BIGRAM):
        connection.exec_driver_sql(f"DELETE FROM {table_name} WHERE rowid {_in_ids(True)}",
                                   (json.dumps(ids),))
    if not documents:
        return
    connection.exec_driver_sql(
        f"INSERT INTO {FTS} (rowid, name, code, extra, pinyin) VALUES (?, ?, ?, ?, ?)",
        [(doc["id"], doc["name"], doc["code"], doc["extra"], doc["pinyin"])
         for doc in documents])
    connection.exec_driver_sql(
        f"INSERT INTO {BIGRAM} (rowid, cjk, ini) VALUES (?, ?, ?)",
        [(doc["id"], " ".join(doc["cjk"]), " ".join(doc["ini"])) for doc in documents])


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
         [" ".join([*doc["cjk"], *(_INITIALS_MARK + pair for pair in doc["ini"])])
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
        # Without statistics SQLite reads "deleted_at IS NULL" through its index (a scan).
        session.execute(text("ANALYZE"))
    else:
        session.execute(text(f"ANALYZE customers_customer, {DOC}"))
    session.commit()
    return done


# ---------------------------------------------------------------------------- queries


class _Query:
    """A query split into what each index can answer."""

    def __init__(self, query: str) -> None:
        self.raw = " ".join((query or "").split())
        folded = _fold(self.raw).strip()
        if _PHONE_LIKE.fullmatch(folded) and sum(char.isdigit() for char in folded) >= 3:
            folded = re.sub(r"[\s\-()]", "", folded)  # 138-1234 5678 is one number
        self.text = folded
        self.long: list[str] = []  # 3+ characters: trigram index
        self.cjk: list[str] = []  # two CJK characters: bigram index
        self.ini: list[str] = []  # two letters: pinyin-initial pairs
        for term in folded.split():
            if len(term) >= 3:
                self.long.append(term)
            elif len(term) == 2 and all(is_cjk(char) for char in term):
                self.cjk.append(term)
            elif len(term) == 2 and term.isascii() and term.isalpha():
                self.ini.append(term)
        letters = folded.replace(" ", "")
        # Initials with gaps: the query's pairs, each adjacent somewhere in the initials.
        self.chunks = ([letters[i:i + 2] for i in range(0, len(letters) - 1, 2)]
                       if letters.isascii() and letters.isalpha() and 3 <= len(letters) <= 16
                       else [])
        self.initials_pattern = (re.compile(".*".join(
            re.escape(letters[i:i + 2]) for i in range(0, len(letters), 2)))
            if self.chunks else None)

    @property
    def usable(self) -> bool:
        """Whether the index can answer at least one term."""
        return bool(self.long or self.cjk or self.ini)


def _quoted(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _visible(statement: Select, user: Any, filters: Mapping[str, Any] | None) -> Select:
    """Only customers the user may see, out of the trash, matching the list's filters."""
    from .services import filter_conditions

    wanted = {key: value for key, value in (filters or {}).items() if key not in ("trash", "q")}
    statement = scoped(statement, Customer, user).where(Customer.deleted_at.is_(None))
    return statement.where(*filter_conditions(wanted))


Rows = list[tuple[int, str]]  # (customer id, name) of the candidates


def _rows(session: Session, statement: Select, user: Any, filters: Any, limit: int) -> Rows:
    return [(row[0], row[1]) for row in session.execute(
        _visible(statement, user, filters).limit(limit))]


def _exact(session: Session, query: _Query, user: Any, filters: Any) -> Rows:
    """Customers whose code, a phone or an email is exactly the query."""
    from .validation import normalise_phone

    conditions = [Customer.code == query.raw.upper()]
    try:
        phone = normalise_phone(query.raw)
    except DomainError:
        phone = None
    if phone:
        conditions.append(Customer.id.in_(select(CustomerPhone.customer_id)
                                          .where(CustomerPhone.number == phone)))
    if "@" in query.raw:
        conditions.append(Customer.id.in_(select(CustomerEmail.customer_id)
                                          .where(CustomerEmail.email == query.raw.lower())))
    return [row for condition in conditions for row in _rows(
        session, select(Customer.id, Customer.name).where(condition), user, filters, 20)]


def _prefix(session: Session, query: _Query, user: Any, filters: Any, limit: int) -> Rows:
    """Customers whose name starts with the query, from a range on the name index.

    The range is read in a subquery of its own: beside "deleted_at IS NULL", SQLite without
    statistics (no ANALYZE yet) picks the deleted_at index and scans every customer.
    """
    first = (select(Customer.id)
             .where(Customer.name >= query.raw, Customer.name < query.raw + "\U0010ffff")
             .order_by(Customer.name).limit(max(limit * 4, 100)))
    statement = (select(Customer.id, Customer.name).where(Customer.id.in_(first))
                 .order_by(Customer.name))
    return _rows(session, statement, user, filters, limit)


def _match(table_name: str, expression: str) -> Any:
    return text(f"{table_name} MATCH :{table_name}").bindparams(**{table_name: expression})


def _matches_sqlite(session: Session, query: _Query, user: Any, filters: Any, limit: int
                    ) -> Rows:
    # Newest matches first, which FTS5 reads straight from its index and stops at the limit;
    # ordering by bm25 would score every match (0.7 s for a word in 70% of 100k names).
    bigram_terms = [f"cjk : {_quoted(term)}" for term in query.cjk] + [
        f"ini : {_quoted(term)}" for term in query.ini]
    statement = select(Customer.id, Customer.name)
    if query.long:
        statement = (statement.join(_fts, _fts.c.rowid == Customer.id)
                     .where(_match(FTS, " AND ".join(_quoted(term) for term in query.long)))
                     .order_by(_fts.c.rowid.desc()))
        if bigram_terms:
            statement = statement.where(Customer.id.in_(
                select(_bigram.c.rowid).where(_match(BIGRAM, " AND ".join(bigram_terms)))))
    else:
        statement = (statement.join(_bigram, _bigram.c.rowid == Customer.id)
                     .where(_match(BIGRAM, " AND ".join(bigram_terms)))
                     .order_by(_bigram.c.rowid.desc()))
    return _rows(session, statement, user, filters, limit)


def _initials_sqlite(session: Session, query: _Query, user: Any, filters: Any, limit: int
                     ) -> Rows:
    terms = " AND ".join(f"ini : {_quoted(chunk)}" for chunk in query.chunks)
    statement = (select(Customer.id, Customer.name).join(_bigram, _bigram.c.rowid == Customer.id)
                 .where(_match(BIGRAM, terms)).order_by(_bigram.c.rowid.desc()))
    return _rows(session, statement, user, filters, limit)


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _matches_postgresql(session: Session, query: _Query, user: Any, filters: Any, limit: int,
                        grams: list[str] | None = None) -> Rows:
    statement = select(Customer.id, Customer.name).join(_doc, _doc.c.customer_id == Customer.id)
    if grams is None:
        grams = [*query.cjk, *(_INITIALS_MARK + term for term in query.ini)]
        for term in query.long:
            statement = statement.where(_doc.c.doc.ilike(_like(term), escape="\\"))
    if grams:
        statement = statement.where(_doc.c.grams.contains(grams))
    return _rows(session, statement.order_by(_doc.c.customer_id.desc()), user, filters, limit)


@contextmanager
def _unprepared(session: Session) -> Iterator[None]:
    """psycopg prepares a statement after 5 runs and PostgreSQL may then plan it without the
    pattern, making a trigram search ~2,000x slower: no server-side prepare while searching."""
    raw = session.connection().connection.dbapi_connection
    if not hasattr(raw, "prepare_threshold"):
        yield
        return
    before = raw.prepare_threshold
    raw.prepare_threshold = None
    try:
        yield
    finally:
        raw.prepare_threshold = before


def search_customers(session: Session, query: str, *, user: Any, limit: int = 50,
                     filters: Mapping[str, Any] | None = None) -> list[Customer]:
    """Ranked customers matching ``query`` that ``user`` may see, trash excluded.

    ``query`` is any fragment (two characters and up) of a name, code, phone, email or contact
    name, a name's pinyin or its pinyin initials; words separated by spaces must all match.
    ``filters`` are those of ``services.list_customers``. Ranking: exact code, phone or email
    first, then names starting with the query, then names containing it, then other matches
    (pinyin, contacts, phones...); within each, shorter names first, then newer customers.
    A fragment found in very many customers is ranked among its newest matches
    (``max(4 × limit, 100)`` of them) and the names starting with it.
    """
    parsed = _Query(query)
    if len(parsed.text.replace(" ", "")) < 2 or limit < 1:
        return []
    sqlite = session.connection().dialect.name == "sqlite"
    wide = max(limit * 4, 100)
    with _unprepared(session):
        exact = _exact(session, parsed, user, filters)
        found = exact + _prefix(session, parsed, user, filters, limit)
        if parsed.usable:
            match = _matches_sqlite if sqlite else _matches_postgresql
            found += match(session, parsed, user, filters, wide)
        if parsed.chunks:
            initials = (_initials_sqlite(session, parsed, user, filters, wide) if sqlite else
                        _matches_postgresql(session, parsed, user, filters, wide, grams=[
                            _INITIALS_MARK + chunk for chunk in parsed.chunks]))
            found += [row for row in initials if _initials_in_order(parsed, row[1])]
    candidates = dict(found)
    exact_ids = {customer_id for customer_id, _name in exact}
    best = sorted(candidates, key=lambda customer_id: _rank(
        candidates[customer_id], parsed, customer_id in exact_ids, -customer_id))[:limit]
    if not best:
        return []
    loaded = {customer.id: customer for customer in session.scalars(
        select(Customer).where(Customer.id.in_(best)))}
    return [loaded[customer_id] for customer_id in best if customer_id in loaded]


def _initials_in_order(query: _Query, name: str) -> bool:
    initials = "".join(syllable[:1] for syllable in pinyin_syllables(name))
    return query.initials_pattern is not None and bool(query.initials_pattern.search(initials))


def _rank(name: str, query: _Query, exact: bool, newness: int) -> tuple[int, int, int]:
    folded = _fold(name)
    if exact:
        tier = 0
    elif folded.startswith(query.text):
        tier = 1
    elif query.text in folded:
        tier = 2
    else:
        tier = 3
    return tier, len(folded), newness


# ---------------------------------------------------------------------------- offers


def search(query: str, user: Any, limit: int) -> list[SearchHit]:
    """Hits for the global search box: customers the user may see (needs customers.view)."""
    from flask import current_app, url_for

    from .plugin import CUSTOMER_VIEW, N_

    if not getattr(user, "is_authenticated", False) or not user.has_permission(CUSTOMER_VIEW):
        return []
    customers = search_customers(db.session, query, user=user, limit=limit)
    endpoints = current_app.view_functions
    hits = []
    for customer in customers:
        if "customers.detail" in endpoints:
            url = url_for("customers.detail", customer_id=customer.id)
        elif "customers.index" in endpoints:
            url = url_for("customers.index", q=customer.code or customer.name)
        else:
            url = "/customers/?" + urlencode({"q": customer.code or customer.name})
        subtitle = " · ".join(part for part in (
            customer.code, (customer.phones or [""])[0], customer.city) if part)
        hits.append(SearchHit(kind=N_("customer"), title=customer.name, url=url,
                              subtitle=subtitle))
    return hits


@click.command("reindex")
@click.option("--batch", default=BATCH, show_default=True, help="Customers per batch.")
def reindex_command(batch: int) -> None:
    """Rebuild the search index of every customer (after a restore or an upgrade)."""

    def progress(done: int, total: int) -> None:
        click.echo(f"Indexed {done:,} of {total:,} customers", err=True)

    count = rebuild_index(db.session, batch=max(1, batch), progress=progress)
    click.echo(f"Search index rebuilt: {count:,} customers.")


def cli_commands() -> list[Any]:
    """``crm customers reindex``."""
    return [reindex_command]
