"""The generated REST API of a resource: ``/api/v1/<plugin>/<name>`` list (keyset pages,
filters, quick search, sorts) and create, ``/api/v1/<plugin>/<name>/<id>`` get, update
(PATCH) and delete, declared with ``api_endpoint`` so they are in the OpenAPI document and
answer errors as problem+json (a refused filter or field: 422 naming it).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from flask_login import current_user
from marshmallow import ValidationError

from ..api.endpoint import api_endpoint
from ..api.pagination import Page
from ..custom_fields.records import custom_args
from ..db import get_session
from ..sensitive.resources import resource_kind
from ..sensitive.writes import keep_stored
from . import query as reading
from . import schemas, writes
from .declaration import Resource


def build_api(resource: Resource) -> Blueprint:
    """The API blueprint of ``resource`` (``<plugin>_<name>_api``)."""
    bp = Blueprint(f"{resource.endpoint}_api", __name__)
    base = f"/api/v1/{resource.plugin}/{resource.name}"
    one = f"{base}/<int:{resource.id_arg}>"
    out, body_in = schemas.schema(resource, "out"), schemas.schema(resource, "in")
    tags = [resource.plugin]
    label = str(resource.label).lower()

    def record_of(ids: dict[str, Any]) -> Any:
        return writes.get_record(get_session(), resource, ids[resource.id_arg], current_user)

    @api_endpoint(bp, base, permission=resource.permission("view"), response=out, page=True,
                  query=schemas.list_query(resource), tags=tags, endpoint="list",
                  summary=f"List {label} you may see, by cursor.")
    def list_records(query: dict[str, Any]) -> Page:
        try:
            values = reading.parse_filters(resource, {**custom_args(request.args), **query})
        except reading.FilterErrors as exc:
            raise ValidationError(exc.errors) from None
        refused = reading.sort_error(resource, query.get("sort"), current_user)
        if refused:  # custom.<key> of no field the caller may sort by
            raise ValidationError({"sort": [refused]})
        return reading.list_page(
            get_session(), resource, current_user, values=values, query=query.get("q") or "",
            sort=query.get("sort"), limit=query["limit"], cursor=query.get("cursor"),
            before=query.get("before"))

    def get_one(**ids: Any) -> Any:
        return record_of(ids)

    api_endpoint(bp, one, permission=resource.permission("view"), response=out, tags=tags,
                 endpoint="get", summary=f"One of the {label}; 404 outside your scope.")(get_one)

    if resource.offers("create"):
        def create(body: dict[str, Any]) -> Any:
            session = get_session()
            body = keep_stored(resource_kind(resource), body)  # a mask is never saved
            record = writes.create_record(session, resource, body, current_user)
            session.commit()
            return record

        api_endpoint(bp, base, methods=["POST"], permission=resource.permission("create"),
                     body=body_in, response=out, status=201, tags=tags, endpoint="create",
                     summary=f"Add one of the {label}.")(create)

    if resource.offers("edit"):
        def update(body: dict[str, Any], **ids: Any) -> Any:
            session, record = get_session(), record_of(ids)
            # a mask read from the API and sent back keeps the stored value
            body = keep_stored(resource_kind(resource), body, record)
            record = writes.update_record(session, resource, record, body, current_user)
            session.commit()
            return record

        api_endpoint(bp, one, methods=["PATCH"], permission=resource.permission("edit"),
                     body=schemas.schema(resource, "patch")(partial=True), response=out,
                     tags=tags, endpoint="update",
                     summary=f"Change some fields of one of the {label}.")(update)

    if resource.offers("delete"):
        def delete(**ids: Any) -> None:
            session = get_session()
            writes.delete_record(session, resource, record_of(ids), current_user)
            session.commit()

        api_endpoint(bp, one, methods=["DELETE"], permission=resource.permission("delete"),
                     status=204, tags=tags, endpoint="delete",
                     summary=f"Delete one of the {label}.")(delete)
    return bp
