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

The index (its documents and how they are written) is ``search_index``; its public names
are re-exported here, where the services and other parts have always found them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

import click
from sqlalchemy import Select, select, text
from sqlalchemy.orm import Session

from crm_core.toolkit import DomainError, SearchHit, db, format_phone, scoped, sensitive

from ..models import Customer, CustomerEmail, CustomerPhone
from ..names import is_cjk, pinyin_syllables
from ..permissions import CUSTOMER_VIEW, N_
from ..records.queries import filter_conditions
from ..records.search_index import (
    BATCH,
    BIGRAM,
    FTS,
    INITIALS_MARK,
    bigram_table,
    customer_document,
    doc_table,
    fold_text,
    fts_table,
    index_customers,
    index_documents,
    rebuild_index,
)
from ..records.sensitive import exact_identifier_match, looks_like_identifier
from ..validation import normalise_phone

# index_* and rebuild_index live in search_index; they are re-exported here, where the
# services, bulk insert, demo data and other parts call them.
__all__ = ["BATCH", "customer_document", "index_customers", "index_documents", "rebuild_index",
           "search_customers"]

QUERY_MAX = 200
_PHONE_LIKE = re.compile(r"\+?[\d\s\-()]+")


# ---------------------------------------------------------------------------- queries


class _Query:
    """A query split into what each index can answer."""

    def __init__(self, query: str) -> None:
        self.raw = " ".join((query or "").split())
        folded = fold_text(self.raw).strip()
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
    wanted = {key: value for key, value in (filters or {}).items() if key not in ("trash", "q")}
    statement = scoped(statement, Customer, user).where(Customer.deleted_at.is_(None))
    return statement.where(*filter_conditions(wanted))


Rows = list[tuple[int, str]]  # (customer id, name) of the candidates


def _rows(session: Session, statement: Select, user: Any, filters: Any, limit: int) -> Rows:
    return [(row[0], row[1]) for row in session.execute(
        _visible(statement, user, filters).limit(limit))]


def _exact(session: Session, query: _Query, user: Any, filters: Any) -> Rows:
    """Customers whose code, a phone, an email, an ID-card number or a bank account is
    exactly the query."""
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
    if looks_like_identifier(query.raw):  # encrypted: only through the blind indexes
        conditions.append(exact_identifier_match(query.raw))
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
        statement = (statement.join(fts_table, fts_table.c.rowid == Customer.id)
                     .where(_match(FTS, " AND ".join(_quoted(term) for term in query.long)))
                     .order_by(fts_table.c.rowid.desc()))
        if bigram_terms:
            statement = statement.where(Customer.id.in_(
                select(bigram_table.c.rowid).where(_match(BIGRAM, " AND ".join(bigram_terms)))))
    else:
        statement = (statement.join(bigram_table, bigram_table.c.rowid == Customer.id)
                     .where(_match(BIGRAM, " AND ".join(bigram_terms)))
                     .order_by(bigram_table.c.rowid.desc()))
    return _rows(session, statement, user, filters, limit)


def _initials_sqlite(session: Session, query: _Query, user: Any, filters: Any, limit: int
                     ) -> Rows:
    terms = " AND ".join(f"ini : {_quoted(chunk)}" for chunk in query.chunks)
    statement = (select(Customer.id, Customer.name)
                 .join(bigram_table, bigram_table.c.rowid == Customer.id)
                 .where(_match(BIGRAM, terms)).order_by(bigram_table.c.rowid.desc()))
    return _rows(session, statement, user, filters, limit)


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _matches_postgresql(session: Session, query: _Query, user: Any, filters: Any, limit: int,
                        grams: list[str] | None = None) -> Rows:
    statement = select(Customer.id, Customer.name).join(
        doc_table, doc_table.c.customer_id == Customer.id)
    if grams is None:
        grams = [*query.cjk, *(INITIALS_MARK + term for term in query.ini)]
        for term in query.long:
            statement = statement.where(doc_table.c.doc.ilike(_like(term), escape="\\"))
    if grams:
        statement = statement.where(doc_table.c.grams.contains(grams))
    return _rows(session, statement.order_by(doc_table.c.customer_id.desc()), user, filters, limit)


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
    # Nobody types more; a longer text (a pasted document) would make one condition a word.
    parsed = _Query((query or "")[:QUERY_MAX])
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
                            INITIALS_MARK + chunk for chunk in parsed.chunks]))
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
    folded = fold_text(name)
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
        phone = (customer.phones or [""])[0]
        if phone:  # masked (139****5678) for a user without view_sensitive
            masked = sensitive.mask_value("customers.customer", "phones", phone, user)
            phone = format_phone(phone) if masked == phone else masked
        subtitle = " · ".join(part for part in (customer.code, phone, customer.city) if part)
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
