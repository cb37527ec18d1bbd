"""Customer search: the index (FTS5 trigram on SQLite, pg_trgm on PostgreSQL), the
two-character Chinese path, pinyin, ranking, and the global search box.
"""

from __future__ import annotations
