"""The request edge: what the kernel refuses before a view runs, and what every answer carries.

One module per concern: ``text`` (NUL bytes, lone surrogates), ``jsonlimits`` (depth and size
of JSON bodies), ``ints`` (bounded integers in URLs and schemas), ``fields`` (defaults for
schemas loaded by ``api_endpoint``), ``sizes`` (request and URL size), ``headers`` (security
headers), ``handlers`` and ``failures`` (the error path). ``init_app`` installs them all.
"""

from __future__ import annotations

from flask import Flask

from . import guard, handlers, headers, sizes
from .ints import BoundedIntConverter


def init_app(app: Flask) -> None:
    """Install the edge on ``app``: call it before blueprints are registered (the ``int``
    converter binds when a rule is added) and before hooks that read the request body."""
    app.url_map.converters["int"] = BoundedIntConverter
    app.json = guard.BoundedJSONProvider(app)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    sizes.init_app(app)
    app.before_request(sizes.check_size)
    app.before_request(guard.check_text)
    headers.init_app(app)
    handlers.init_app(app)
