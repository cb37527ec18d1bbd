"""Errors under ``/api/`` as ``application/problem+json`` (RFC 9457), never HTML.

Every error an API client can meet (401, 403, 404, 405, 422, 429, 500) answers a JSON object
with ``type``, ``title``, ``status``, ``detail`` and ``instance``; a 422 adds ``errors``, an
object mapping each refused field to its messages (``"_schema"`` for the request as a whole).
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from flask_babel import gettext
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

PROBLEM_TYPE = "application/problem+json"
WHOLE_REQUEST = "_schema"


def is_api_request() -> bool:
    """Whether the current request is addressed to the API (its path starts with ``/api/``)."""
    return request.path.startswith("/api/")


def problem(status: int, detail: str = "", *, title: str | None = None,
            errors: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
            type_: str = "about:blank") -> Response:
    """A ``application/problem+json`` response.

    ``title`` defaults to the HTTP reason phrase (as RFC 9457 asks for ``about:blank``);
    ``errors`` maps field names to lists of messages (422).
    """
    body: dict[str, Any] = {
        "type": type_,
        "title": title or HTTP_STATUS_CODES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "instance": request.path,
    }
    if errors is not None:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.content_type = PROBLEM_TYPE
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _detail(error: HTTPException) -> str:
    code = error.code or 500
    if code == 401:
        return gettext("Sign in, or send a valid API token as 'Authorization: Bearer …'.")
    if code == 403:
        return gettext("You do not have the permission this request needs.")
    if code == 404:
        return gettext("There is nothing at this address, or you may not see it.")
    if code == 405:
        return gettext("This address does not accept the %(method)s method.",
                       method=request.method)
    if code == 429:
        return gettext("Too many requests (limit: %(limit)s). Try again later.",
                       limit=error.description or "")
    return error.description or ""


def http_problem(error: HTTPException) -> Response:
    """The problem response for a werkzeug HTTP error, keeping its headers (``Allow``…)."""
    code = error.code or 500
    headers = {name: value for name, value in error.get_headers()
               if name.lower() != "content-type"}
    if code == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="crm"'
    return problem(code, _detail(error), headers=headers)


def validation_problem(messages: Any) -> Response:
    """A 422 problem from marshmallow ``ValidationError.messages``."""
    errors = messages if isinstance(messages, dict) else {WHOLE_REQUEST: messages}
    fields = ", ".join(sorted(str(name) for name in errors))
    return problem(422, gettext("The request has invalid fields: %(fields)s.", fields=fields),
                   errors=errors)


def domain_problem(error: Exception) -> Response:
    """The problem of a ``DomainError``: its ``status`` (422 unless the error says 404 or
    409), and per-field ``errors`` naming its ``field`` attribute when set."""
    status = getattr(error, "status", 422)
    if status != 422:
        return problem(status, str(error))
    field = getattr(error, "field", None) or WHOLE_REQUEST
    return problem(422, str(error), errors={field: [str(error)]})


def server_problem() -> Response:
    """The 500 problem: no details of what went wrong leak to the client."""
    return problem(500, gettext("Something went wrong on our side. The error was logged."))
