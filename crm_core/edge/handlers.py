"""The app's error handlers: problem+json under ``/api/``, a page elsewhere, never a bare 500.

Each one rolls the session back before anything else. A database refusal of a value (a number
out of range, text it cannot store, NUL) answers 400 without the database's own words; any
other failure answers 500, logged once as a JSON line with the request id.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, g, render_template, request
from flask_babel import gettext
from sqlalchemy.exc import DataError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError

from ..api import problems
from ..errors import DomainError
from .failures import describe, forget_user, is_nul_error, rollback_session

log = logging.getLogger("crm_core.errors")
# Drawn when even the 500 page cannot be (a broken template, a dead database): no template.
FALLBACK_PAGE = ("<!doctype html><meta charset=\"utf-8\"><title>500</title>"
                 "<h1>500</h1><p>Something went wrong. The error was logged.</p>")


def error_page(code: int, title: str, detail: str) -> tuple[Any, int]:
    """The HTML error page for ``code`` (the heading and text translated by ``error_text``)."""
    return render_template("core/error.html", code=code, title=title, detail=detail), code


def http_error(error: HTTPException) -> Any:
    """A werkzeug HTTP error (404, 405, 413, 414, abort(...)) as a problem or a page."""
    code = error.code or 500
    if code < 400:
        return error
    if code >= 500:
        return server_error(error)
    rollback_session()
    if problems.is_api_request():
        return problems.http_problem(error)
    return error_page(code, error.name, error.description or "")


def domain_error(error: DomainError) -> Any:
    """A business rule's refusal: its status (422, 404, 409) and its message."""
    rollback_session()
    if problems.is_api_request():
        return problems.domain_problem(error)
    status = getattr(error, "status", 422)
    title = "Not found" if status == 404 else "Cannot do that"
    return error_page(status, title, str(error))


def stale_record(_error: StaleDataError) -> Any:
    """Someone else changed (or deleted) the record between reading and writing it: 409.

    An optimistic lock (a model's ``version_id_col``) or an UPDATE that matched no row
    raises ``StaleDataError`` at the flush; the user is told to reload, not shown a 500.
    """
    rollback_session()
    detail = gettext("This record was changed by someone else; reload it and try again.")
    if problems.is_api_request():
        return problems.problem(409, detail)
    return error_page(409, "Conflict", detail)


def value_refused(error: Exception) -> Any:
    """The database refused a value (out of range, invalid text, NUL): 400, after a rollback.

    Any other ValueError is a bug: re-raised, it answers 500 like any other (and a test
    sees the exception).
    """
    if isinstance(error, (ValueError, OverflowError)) and not is_nul_error(error):
        raise error
    rollback_session()
    log.warning("the database refused a value", extra=describe(error))
    detail = gettext("A value in the request cannot be stored: a number is out of range, or "
                     "a text is too long or holds characters that are not allowed.")
    if problems.is_api_request():
        return problems.problem(400, detail)
    return error_page(400, "Bad request", detail)


def server_error(error: Exception) -> Any:
    """Any failure: logged once (request id, exception), rolled back, a 500 without details."""
    original = getattr(error, "original_exception", None) or error
    rollback_session()
    forget_user()
    log.error("Exception on %s [%s]", request.path, request.method,
              exc_info=None if isinstance(original, HTTPException) else original,
              extra={**describe(original), "user_id": g.get("crm_user_id")})
    if problems.is_api_request():
        return problems.server_problem()
    try:
        return error_page(500, "Something went wrong",
                          "The error was logged. Please try again later.")
    except Exception:  # noqa: BLE001 — the last resort must not fail
        log.exception("the 500 page could not be drawn")
        return Response(FALLBACK_PAGE, status=500, mimetype="text/html")


def _no_double_log(_exc_info: Any) -> None:
    """Flask's own ``log_exception``: silenced, ``server_error`` logs the one line."""


def init_app(app: Flask) -> None:
    """Install the error handlers on ``app``."""
    app.log_exception = _no_double_log  # type: ignore[method-assign]
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(DomainError, domain_error)
    app.register_error_handler(StaleDataError, stale_record)
    app.register_error_handler(DataError, value_refused)
    app.register_error_handler(ValueError, value_refused)
    app.register_error_handler(OverflowError, value_refused)
    app.register_error_handler(InternalServerError, server_error)
