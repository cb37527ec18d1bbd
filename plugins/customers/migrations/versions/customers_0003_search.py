"""customer search index

Revision ID: 3f9a1c2d7e04
Revises: 7589b56d14fa
Create Date: 2026-11-27 08:00:00

SQLite: two FTS5 tables keyed by the customer id (rowid): ``customers_search_fts`` with the
``trigram`` tokenizer for fragments of three characters and more, and ``customers_search_bigram``
with ``unicode61`` over precomputed CJK character bigrams and pinyin-initial bigrams (FTS5
trigram silently finds nothing below three characters). PostgreSQL: one document table with a
pg_trgm GIN index and a GIN index on a ``text[]`` of the same bigrams. The tables live outside
the ORM metadata (``plugins.customers.search.services`` maintains them); they are declared unmanaged so
``crm db check`` leaves them alone. The migration does not fill them (it would tie an old
migration to the current indexing code): after upgrading a database that already has
customers, run ``crm customers reindex``.
"""

from __future__ import annotations

from alembic import op

revision = '3f9a1c2d7e04'
down_revision = '7589b56d14fa'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE customers_search_fts USING fts5("
                   "name, code, extra, pinyin, tokenize='trigram')")
        op.execute("CREATE VIRTUAL TABLE customers_search_bigram USING fts5("
                   "cjk, ini, tokenize='unicode61')")
    else:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE TABLE customers_search_doc ("
                   "customer_id INTEGER PRIMARY KEY REFERENCES customers_customer (id) "
                   "ON DELETE CASCADE, "
                   "doc TEXT NOT NULL DEFAULT '', "
                   "grams TEXT[] NOT NULL DEFAULT '{}')")
        op.execute("CREATE INDEX ix_customers_search_doc_doc ON customers_search_doc "
                   "USING gin (doc gin_trgm_ops)")
        op.execute("CREATE INDEX ix_customers_search_doc_grams ON customers_search_doc "
                   "USING gin (grams)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS customers_search_bigram")
        op.execute("DROP TABLE IF EXISTS customers_search_fts")
    else:
        op.execute("DROP TABLE IF EXISTS customers_search_doc")
        # pg_trgm stays: other plugins' indexes may use it.
