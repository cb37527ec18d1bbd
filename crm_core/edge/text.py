"""Text a database cannot store: NUL bytes and lone surrogates.

PostgreSQL refuses NUL in ``text`` (psycopg raises before the query is sent) and a lone
surrogate cannot be encoded as UTF-8 at all; both used to surface as 500s. The edge refuses
them in every query-string and form value, key and upload file name (400), and anywhere in a
JSON body (422 naming the field path), before a view runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from flask import request

_BAD = re.compile("[\x00\ud800-\udfff]")


def is_clean(text: str) -> bool:
    """Whether ``text`` holds no NUL byte and no lone surrogate."""
    return _BAD.search(text) is None


def bad_request_fields() -> list[str]:
    """Names of the query-string, form and path values (or keys, or file names) that hold a
    NUL byte or a lone surrogate, in the order met; empty when the request is clean."""
    found: list[str] = []
    for source, values in (("query", request.args), ("form", request.form)):
        for key, value in values.items(multi=True):
            # a multipart part without a name arrives with the key None
            key = key if isinstance(key, str) else ""
            if not is_clean(key) or not is_clean(value if isinstance(value, str) else ""):
                found.append(_name(source, key))
    for key, upload in request.files.items(multi=True):
        if not is_clean(key) or not is_clean(upload.filename or ""):
            found.append(_name("file", key))
    for key, value in (request.view_args or {}).items():
        if isinstance(value, str) and not is_clean(value):
            found.append(_name("path", key))
    return found


def _name(source: str, key: str) -> str:
    # A key is reported as sent, minus the characters that are the problem.
    return f"{source}:{_BAD.sub('?', key)}"


def bad_json_paths(data: Any, path: str = "") -> Iterator[str]:
    """Dotted paths (``phones.0.number``; ``_schema`` for the root) of JSON strings, keys
    included, that hold a NUL byte or a lone surrogate."""
    stack: list[tuple[str, Any]] = [(path, data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str):
            if not is_clean(value):
                yield where or "_schema"
        elif isinstance(value, dict):
            for key, item in value.items():
                child = f"{where}.{_BAD.sub('?', key)}" if where else _BAD.sub("?", key)
                if not is_clean(key):
                    yield child
                stack.append((child, item))
        elif isinstance(value, list):
            stack.extend((f"{where}.{index}" if where else str(index), item)
                         for index, item in enumerate(value))
