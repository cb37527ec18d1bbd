"""The before_request checks of the edge: bad text in values, and JSON bodies.

``check_text`` runs before CSRF and authentication (they read the form too); ``check_json``
runs after authentication, so an anonymous write is told to sign in (401) first.
"""

from __future__ import annotations

from typing import Any

import orjson
from flask import abort, current_app, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext

from ..api.problems import WHOLE_REQUEST, is_api_request, problem
from .jsonlimits import DEFAULT_MAX_DEPTH, json_depth_exceeds
from .text import bad_json_paths, bad_request_fields


def _refuse(status: int, detail: str, errors: dict[str, list[str]] | None = None) -> Any:
    if is_api_request():
        return problem(status, detail, errors=errors)
    abort(status, detail)


def check_text() -> Any:
    """Refuse (400) a query string, form, path value or upload name with NUL or a surrogate."""
    fields = bad_request_fields()
    if not fields:
        return None
    message = gettext("Text may not contain NUL characters or unpaired surrogates.")
    names = ", ".join(fields)
    return _refuse(400, gettext("Refused fields: %(fields)s.", fields=names) + " " + message,
                   errors={name: [message] for name in fields})


def max_json_depth() -> int:
    """``CRM_MAX_JSON_DEPTH`` of the running app (default 32)."""
    return int(current_app.config.get("CRM_MAX_JSON_DEPTH") or DEFAULT_MAX_DEPTH)


def check_json() -> Any:
    """Refuse a JSON body nested too deep (400, before parsing) or holding bad text (422)."""
    if not request.is_json:
        return None
    raw = request.get_data(cache=True)
    if not raw:
        return None
    depth = max_json_depth()
    if json_depth_exceeds(raw, depth):
        return _refuse(400, gettext("The JSON body is nested deeper than %(depth)s levels.",
                                    depth=depth),
                       errors={WHOLE_REQUEST: [gettext("Nested too deep.")]})
    data = request.get_json(silent=True)
    paths = sorted(set(bad_json_paths(data)))
    if not paths:
        return None
    message = gettext("Text may not contain NUL characters or unpaired surrogates.")
    return _refuse(422, gettext("The request has invalid fields: %(fields)s.",
                                fields=", ".join(paths)),
                   errors={path: [message] for path in paths})


#: orjson's options for what Flask's provider writes: keys sorted, non-string keys as text,
#: dates through Flask's own ``default`` (HTTP dates, as before).
_ORJSON_OPTIONS = (orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
                   | orjson.OPT_SORT_KEYS)


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider, refusing (ValueError) text nested deeper than the limit.

    Every ``request.get_json()`` parses through it, so no view can meet a RecursionError;
    Flask answers a ValueError there with 400 (or None with ``silent=True``).

    Answers are written by orjson (issue 11, throughput: a page of 50 customers in a tenth
    of the time of the standard library's encoder), with the same text: compact, keys
    sorted, UTF-8 unescaped. What orjson refuses (an integer beyond 64 bits, a lone
    surrogate) and the indented debug form go through the standard encoder as before.
    """

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """``obj`` as JSON text (see the class docstring)."""
        if set(kwargs) <= {"separators"}:
            encoded = self._encoded(obj)
            if encoded is not None:
                return encoded.decode()
        return super().dumps(obj, **kwargs)

    def response(self, *args: Any, **kwargs: Any) -> Any:
        """``jsonify``'s answer; orjson's bytes become the body as they are (no round trip
        through ``str``: a tenth of the time of a list page's JSON)."""
        if not (self.compact is False or (self.compact is None and self._app.debug)):
            encoded = self._encoded(self._prepare_response_obj(args, kwargs))
            if encoded is not None:
                return self._app.response_class(encoded + b"\n", mimetype=self.mimetype)
        return super().response(*args, **kwargs)

    def _encoded(self, obj: Any) -> bytes | None:
        """``obj`` as compact UTF-8 JSON by orjson, or None where only the standard encoder
        can (options orjson lacks, values it refuses)."""
        if not self.sort_keys or self.ensure_ascii:
            return None
        try:
            return orjson.dumps(obj, default=self.default, option=_ORJSON_OPTIONS)
        except (orjson.JSONEncodeError, TypeError):
            return None

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse ``s`` unless it nests deeper than ``CRM_MAX_JSON_DEPTH``."""
        raw = s.encode("utf-8", "surrogatepass") if isinstance(s, str) else s
        if json_depth_exceeds(raw, max_json_depth() if current_app else DEFAULT_MAX_DEPTH):
            raise ValueError("JSON nested too deep")
        return super().loads(s, **kwargs)
