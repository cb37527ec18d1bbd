"""Errors under ``/api/`` as ``application/problem+json`` (RFC 9457), never HTML.

Every error an API client can meet (400, 401, 403, 404, 405, 413, 414, 422, 429, 500)
answers a JSON object with ``type``, ``title``, ``status``, ``detail`` and ``instance``; a 422
(and a 400 refusing text) adds ``errors``, a flat object mapping each refused field's path to
its list of messages: ``"name"``, ``"phones.0"`` (the first item of a list),
``"address.city"`` (a nested field), ``"_schema"`` (the request as a whole).
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
    if code == 413:
        return gettext("The request body is larger than this address accepts.")
    if code == 414:
        return gettext("The URL (path and query string) is too long.")
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


def flatten_errors(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages as ``{"phones.0": ["…"], "address.city": ["…"]}``.

    A list of items is keyed by index (``{"phones": {0: [...]}}``); a nested schema's own
    ``_schema`` messages keep their parent's path (``"address"``).
    """
    if isinstance(messages, dict):
        flat: dict[str, list[str]] = {}
        for key, value in messages.items():
            if str(key) == WHOLE_REQUEST and prefix:
                path = prefix
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            for name, texts in flatten_errors(value, path).items():
                flat.setdefault(name, []).extend(texts)
        return flat
    texts = messages if isinstance(messages, list) else [messages]
    if any(isinstance(text, dict) for text in texts):  # a list field's per-item dicts
        flat = {}
        for text in texts:
            for name, more in flatten_errors(text, prefix).items():
                flat.setdefault(name, []).extend(more)
        return flat
    return {prefix or WHOLE_REQUEST: [str(text) for text in texts]}


def validation_problem(messages: Any) -> Response:
    """A 422 problem from marshmallow ``ValidationError.messages``, with flat field paths."""
    errors = flatten_errors(messages if isinstance(messages, dict)
                            else {WHOLE_REQUEST: messages})
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
    return problem(422, str(error), errors={str(field): [str(error)]})


def server_problem() -> Response:
    """The 500 problem: no details of what went wrong leak to the client."""
    return problem(500, gettext("Something went wrong on our side. The error was logged."))
