"""``api_endpoint``: one declaration of an API route's permission, schemas and summary.

The route is guarded with ``require_permission`` (so the strict route check passes), its JSON
body and query string are loaded with the declared schemas (a refusal is a 422 naming each
field), its result is dumped with the response schema, and the same declaration feeds the
OpenAPI document.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import Blueprint, Response, jsonify, request
from marshmallow import Schema, ValidationError

from ..auth.permissions import public as mark_public
from ..auth.permissions import require_permission
from ..edge.fields import bound_schema
from .pagination import ListQuery, Page
from .problems import WHOLE_REQUEST

SchemaArg = type[Schema] | Schema | None


@dataclass(frozen=True)
class EndpointSpec:
    """What ``api_endpoint`` declared, kept on the view as ``crm_api`` for the OpenAPI doc."""

    methods: tuple[str, ...]
    permission: str | None
    public: bool
    summary: str
    description: str
    body: Schema | None
    query: Schema | None
    response: Schema | None
    status: int
    page: bool
    tags: tuple[str, ...] = field(default=())


def _instance(schema: SchemaArg) -> Schema | None:
    if schema is None or isinstance(schema, Schema):
        return schema
    return schema()


def _bounded(schema: SchemaArg) -> Schema | None:
    loaded = _instance(schema)
    return bound_schema(loaded) if loaded is not None else None


def _load_body(schema: Schema) -> Any:
    data = request.get_json(silent=True)
    if data is None:
        raise ValidationError({WHOLE_REQUEST: [
            "Send a JSON object with Content-Type: application/json."]})
    return schema.load(data)


def _render(spec: EndpointSpec, result: Any) -> Any:
    if isinstance(result, Response):
        return result
    status = spec.status
    if isinstance(result, tuple):
        result, status = result
    if status == 204 or (result is None and spec.response is None):
        return Response(status=204)
    if isinstance(result, Page):
        items = spec.response.dump(result.items, many=True) if spec.response else result.items
        body: Any = {"items": items, "next_cursor": result.next_cursor}
        if result.prev_cursor is not None:  # only past the first page: pass it as ?before=
            body["prev_cursor"] = result.prev_cursor
    elif spec.response is not None:
        body = spec.response.dump(result)
    else:
        body = result
    response = jsonify(body)
    response.status_code = status
    return response


def api_endpoint(bp: Blueprint, rule: str, *, methods: Iterable[str] = ("GET",),
                 permission: str | None = None, public: bool = False,
                 body: SchemaArg = None, query: SchemaArg = None, response: SchemaArg = None,
                 status: int = 200, page: bool = False, summary: str | None = None,
                 tags: Iterable[str] = (), endpoint: str | None = None
                 ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register an API view on ``bp`` with its permission, schemas and summary in one place.

    - ``permission``: what the caller must hold (None: any signed-in user; ``public=True``:
      anyone). The view is wrapped in ``require_permission``.
    - ``body``: schema the JSON body is loaded with; the view gets it as ``body=``.
    - ``query``: schema the query string is loaded with; the view gets it as ``query=``.
    - ``response``: schema the view's return value is dumped with, answered with ``status``.
      An endpoint without content declares ``status=204`` and returns None; return
      ``(value, status)`` to choose per call, or a ``Response`` to answer yourself.
    - ``page=True``: the view returns a ``Page`` (see ``paginate``) and answers
      ``{"items": [...], "next_cursor": ...}``; ``query`` defaults to ``ListQuery``.
    - ``summary``: one line for the OpenAPI document (default: the docstring's first line).

    A refused body or query answers 422 problem+json with a per-field ``errors`` object.
    Every ``Integer`` of ``body`` and ``query`` without its own ``validate.Range`` is bounded to
    a PostgreSQL ``bigint``, every ``String`` without a ``validate.Length`` to 10,000
    characters; the request edge has already refused NUL bytes, lone surrogates and JSON
    nested too deep.
    """
    methods = tuple(method.upper() for method in methods)
    body_schema = _bounded(body)
    query_schema = _bounded(query) or (_bounded(ListQuery) if page else None)
    response_schema = _instance(response)

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        doc = inspect.getdoc(view) or ""
        lines = doc.split("\n\n", 1)
        spec = EndpointSpec(
            methods=methods, permission=permission, public=public,
            summary=summary or (lines[0].replace("\n", " ") if lines else ""),
            description=lines[1] if len(lines) > 1 else "",
            body=body_schema, query=query_schema, response=response_schema, status=status,
            page=page, tags=tuple(tags))
        accepted = inspect.signature(view).parameters

        @wraps(view)
        def run(**kwargs: Any) -> Any:
            if body_schema is not None and "body" in accepted:
                kwargs["body"] = _load_body(body_schema)
            elif body_schema is not None:
                _load_body(body_schema)
            if query_schema is not None:
                # a plain dict of each name's first value, as the MultiDict gives it: looking
                # up each of the schema's absent names in the MultiDict raised and caught an
                # HTTP exception (~20 a list request)
                loaded = query_schema.load(request.args.to_dict())
                if "query" in accepted:
                    kwargs["query"] = loaded
            return _render(spec, view(**kwargs))

        guarded = mark_public(run) if public else require_permission(permission)(run)
        guarded.crm_api = spec  # type: ignore[attr-defined]
        bp.add_url_rule(rule, endpoint=endpoint or view.__name__, view_func=guarded,
                        methods=list(methods))
        return guarded
    return decorate
