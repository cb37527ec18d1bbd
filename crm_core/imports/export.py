"""Writing a table of any records to CSV (UTF-8 with a BOM) or XLSX in constant memory.

The rows come in batches (a keyset walk of the records, say); each batch goes to the
kernel's writer (``toolkit.open_writer``), which neutralises formula starters, so the file
never holds more than one batch in memory, whatever its size.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from ..db import scan_cache
from ..rbac.scope import scoped
from ..tabular import open_writer
from .collector import few_collections

__all__ = ["BATCH", "spec_rows", "write_table"]

BATCH = 5000


def write_table(path: Path, fmt: str, headers: Sequence[str],
                batches: Iterable[Sequence[Sequence[str]]], *, sheet_title: str = "Sheet1",
                number_columns: Sequence[int] = (),
                progress: Callable[[int], None] | None = None) -> int:
    """Write ``headers`` then every batch of ``batches`` (rows of text cells) to ``path`` in
    format ``fmt`` ("csv" or "xlsx"); returns the number of rows written."""
    writer = open_writer(fmt, Path(path), sheet_title, number_columns)
    count = 0
    try:
        with few_collections():
            writer.write(list(headers))
            for batch in batches:
                writer.write_rows(batch)
                count += len(batch)
                if progress is not None:
                    progress(count)
    finally:
        writer.close()
    return count


def spec_rows(spec: Any, session: Session, user_id: int | None
              ) -> tuple[list[str], Iterator[list[list[str]]]]:
    """``(headers, batches)`` of an export of ``spec``'s records: its ``export`` when given,
    else its fields that are not relations, read by keyset on the primary key in batches of
    ``BATCH`` within the scope of ``user_id`` (None: every record)."""
    if spec.export is not None:
        headers, made = spec.export(session, user_id)
        return list(headers), _scanned(session, made)
    fields = [item for item in spec.fields if item.relation is None
              and hasattr(spec.model, item.name)]
    key = inspect(spec.model).primary_key[0]
    columns = [getattr(spec.model, item.name) for item in fields]

    def batches() -> Iterator[list[list[str]]]:
        last = None
        while True:
            query = select(key, *columns).order_by(key).limit(BATCH)
            if last is not None:
                query = query.where(key > last)
            if user_id is not None:
                query = scoped(query, spec.model, user_id)
            rows = session.execute(query).all()
            if not rows:
                return
            last = rows[-1][0]
            yield [["" if value is None else str(value) for value in row[1:]] for row in rows]

    return [str(item.label) for item in fields], _scanned(session, batches())


def _scanned(session: Session, batches: Iterable[Any]) -> Iterator[Any]:
    """``batches``, read with a small page cache (``crm_core.db.scan_cache``)."""
    with scan_cache(session):
        yield from batches
