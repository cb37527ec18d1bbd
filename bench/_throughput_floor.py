"""The throughput floor of ``bench/throughput.py``: the list's first page as plain SQL in a
bare WSGI app, served by gunicorn with the settings ``crm serve`` uses.

No framework, no sign-in, no data scope, no masks: one statement (the raw floor of
``bench/customers.py``'s "API list, first page": ten columns of the 50 newest customers), its
rows as JSON. What it answers per second is what this machine, gunicorn and wrk allow for
a page of that size; our list's rate is read against it (the ratio moves far less from one
machine to another than either rate does). Each gunicorn thread keeps its own connection.

    CRM_FLOOR_DATABASE=<sqlite file or postgresql:// URL> python -m gunicorn \
        --chdir bench _throughput_floor:app
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterable
from typing import Any

import orjson

COLUMNS = ("id", "name", "code", "kind", "industry", "province", "city", "owner_id",
           "total_amount", "updated_at")
PAGE = (f"SELECT {', '.join(COLUMNS)} FROM customers_customer WHERE deleted_at IS NULL "
        "ORDER BY updated_at DESC, id DESC LIMIT 50")
_local = threading.local()


def _connection() -> Any:
    connection = getattr(_local, "connection", None)
    if connection is None:
        database = os.environ["CRM_FLOOR_DATABASE"]
        if database.startswith("postgresql"):
            import psycopg

            connection = psycopg.connect(database, autocommit=True)
        else:
            connection = sqlite3.connect(database, check_same_thread=False)
        _local.connection = connection
    return connection


def page() -> bytes:
    """The first page's rows as a JSON object, as an API list answers it."""
    cursor = _connection().cursor()
    cursor.execute(PAGE)
    items = [dict(zip(COLUMNS, row, strict=True)) for row in cursor.fetchall()]
    return orjson.dumps({"items": items, "next_cursor": None}, default=str)


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """WSGI: every path answers the first page."""
    body = page()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(body)))])
    return [body]
