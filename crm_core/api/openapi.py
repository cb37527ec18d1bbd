"""The OpenAPI 3 document of every ``/api/v1`` route of the kernel and the enabled plugins.

Routes declared with ``api_endpoint`` carry their full schemas; any other ``/api/v1`` route
appears with its path, methods, path parameters and the first line of its docstring.
"""

from __future__ import annotations

import inspect
import re
from importlib import metadata
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask

from ..edge.ints import INT32_MAX
from .endpoint import EndpointSpec
from .schemas import ProblemSchema

API_PREFIX = "/api/v1"
OPENAPI_VERSION = "3.0.3"
_ARGUMENT = re.compile(r"<(?:(?P<converter>[a-zA-Z_][a-zA-Z0-9_]*)(?:\([^)]*\))?:)?"
                       r"(?P<name>[a-zA-Z_][a-zA-Z0-9_]*)>")
_CONVERTER_SCHEMAS = {
    "int": {"type": "integer", "minimum": 0, "maximum": INT32_MAX},
    "float": {"type": "number"},
    "uuid": {"type": "string", "format": "uuid"},
}
_ERROR_RESPONSES = {
    "400": "Refused before it was read: text with a NUL character or an unpaired surrogate "
           "(`errors` names each field), JSON nested too deep, or a value the database cannot "
           "store.",
    "401": "Not signed in, or the API token is unknown or revoked.",
    "403": "The caller lacks the permission.",
    "404": "Not found, or outside the caller's data scope.",
    "422": "Invalid request: see `errors` for the message of each field.",
    "413": "The body is larger than this route accepts.",
    "414": "The URL (path and query string) is too long.",
    "429": "Too many requests; retry after the `Retry-After` seconds.",
}


def _version() -> str:
    try:
        return metadata.version("crm-platform")
    except metadata.PackageNotFoundError:
        return "0.0.0"


def openapi_path(rule: str) -> tuple[str, list[dict[str, Any]]]:
    """A Flask rule as an OpenAPI path (``<int:id>`` → ``{id}``) and its path parameters."""
    parameters = []
    for match in _ARGUMENT.finditer(rule):
        schema = _CONVERTER_SCHEMAS.get(match.group("converter") or "", {"type": "string"})
        parameters.append({"name": match.group("name"), "in": "path", "required": True,
                           "schema": dict(schema)})
    return _ARGUMENT.sub(lambda m: "{" + m.group("name") + "}", rule), parameters


def _problem_response(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/problem+json": {
                "schema": {"$ref": "#/components/schemas/Problem"}}}}


def _page_schema(item_schema: Any) -> dict[str, Any]:
    items: Any = item_schema if item_schema is not None else {}
    return {"type": "object", "required": ["items", "next_cursor"],
            "properties": {"items": {"type": "array", "items": items},
                           "next_cursor": {"type": "string", "nullable": True,
                                           "description": "Pass as ?cursor= for the next page; "
                                                          "null on the last page."},
                           "prev_cursor": {"type": "string",
                                           "description": "Pass as ?before= for the previous "
                                                          "page; absent on the first page."}}}


def _declared_operation(api: EndpointSpec, parameters: list[dict[str, Any]],
                        operation: dict[str, Any]) -> None:
    """Fill ``operation`` from what ``api_endpoint`` declared."""
    operation["summary"] = api.summary
    if api.description:
        operation["description"] = api.description
    if api.permission:
        operation["description"] = (operation.get("description", "") +
                                    f"\n\nRequires permission `{api.permission}`.").strip()
    if api.query is not None:
        parameters.append({"in": "query", "schema": api.query})
    if api.body is not None:
        operation["requestBody"] = {"required": True,
                                    "content": {"application/json": {"schema": api.body}}}
    if api.page:
        success: dict[str, Any] = {"description": "One page of the list.", "content": {
            "application/json": {"schema": _page_schema(api.response)}}}
    elif api.response is not None:
        success = {"description": "Success.",
                   "content": {"application/json": {"schema": api.response}}}
    else:
        success = {"description": "Done; no content." if api.status == 204 else "Success."}
    responses = {str(api.status): success}
    errors = ["400", "414", "429"]
    if api.body is not None:
        errors.append("413")
    if not api.public:
        errors.append("401")
    if api.permission:
        errors.append("403")
    if any(parameter.get("in") == "path" for parameter in parameters):
        errors.append("404")
    if api.body is not None or api.query is not None:
        errors.append("422")
    responses.update({error: {"$ref": f"#/components/responses/Problem{error}"}
                      for error in sorted(errors)})
    operation["responses"] = responses
    if api.public:
        operation["security"] = []
    if api.tags:
        operation["tags"] = list(api.tags)


def _plain_operation(view: Any, operation: dict[str, Any]) -> None:
    """Fill ``operation`` for a route that did not use ``api_endpoint``."""
    doc = inspect.getdoc(view) or ""
    operation["summary"] = doc.split("\n\n", 1)[0].replace("\n", " ")
    operation["responses"] = {
        "200": {"description": "Success (JSON)."},
        **{code: {"$ref": f"#/components/responses/Problem{code}"}
           for code in ("400", "401", "403", "414", "429")}}
    if getattr(view, "crm_permission", None) == "public":
        operation["security"] = []


def build_spec(app: Flask) -> dict[str, Any]:
    """The OpenAPI 3 document of ``app`` as a dict."""
    spec = APISpec(
        title="CRM API", version=_version(), openapi_version=OPENAPI_VERSION,
        plugins=[MarshmallowPlugin()],
        info={"description": "The REST API of the CRM platform and its enabled plugins. "
                             "Authenticate with `Authorization: Bearer <token>` (create one "
                             "under Account → API tokens or with `crm tokens create`), or "
                             "from the same site with the session cookie and an "
                             "`X-CSRFToken` header on writes. Lists take `?limit=` (at most "
                             "200) and `?cursor=`. Errors are `application/problem+json`."},
        security=[{"bearerAuth": []}, {"sessionCookie": []}],
    )
    spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer",
                                                   "bearerFormat": "crm_<prefix>_<secret>"})
    spec.components.security_scheme("sessionCookie", {"type": "apiKey", "in": "cookie",
                                                      "name": app.config.get(
                                                          "SESSION_COOKIE_NAME", "session")})
    spec.components.schema("Problem", schema=ProblemSchema)
    for code, description in _ERROR_RESPONSES.items():
        spec.components.response(f"Problem{code}", _problem_response(description))

    owners = {bp.name: plugin for plugin, bps in app.extensions["crm"].blueprints.items()
              for bp in bps}
    operation_ids: set[str] = set()
    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not (rule.rule == API_PREFIX or rule.rule.startswith(API_PREFIX + "/")):
            continue
        view = app.view_functions[rule.endpoint]
        api: EndpointSpec | None = getattr(view, "crm_api", None)
        path, path_parameters = openapi_path(rule.rule)
        blueprint = rule.endpoint.rpartition(".")[0]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            parameters = [dict(parameter) for parameter in path_parameters]
            operation: dict[str, Any] = {}
            if api is not None:
                _declared_operation(api, parameters, operation)
            else:
                _plain_operation(view, operation)
            extra = getattr(view, "crm_openapi", {}).get(method)  # multipart bodies, files
            if extra:
                operation["responses"].update(extra.get("responses", {}))
                operation.update({k: v for k, v in extra.items() if k != "responses"})
            operation.setdefault("tags", [owners.get(blueprint, "core")])
            operation_id = rule.endpoint.replace(".", "_")
            if operation_id in operation_ids:
                operation_id = f"{operation_id}_{method.lower()}"
            operation_ids.add(operation_id)
            operation["operationId"] = operation_id
            if parameters:
                operation["parameters"] = parameters
            paths.setdefault(path, {})[method.lower()] = operation
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def openapi_document(app: Flask) -> dict[str, Any]:
    """``build_spec(app)``, built once per app (routes do not change after startup)."""
    cached = app.extensions.get("crm_openapi")
    if cached is None:
        cached = app.extensions["crm_openapi"] = build_spec(app)
    return cached
