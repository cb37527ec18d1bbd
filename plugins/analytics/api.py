"""``/api/v1/analytics``: the sources (``GET /sources``) and a query over one of them
(``POST /query``); a part of ``plugin.py`` (``blueprints()``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_babel import gettext
from flask_login import current_user
from marshmallow import Schema, ValidationError, fields, validate

from crm_core.toolkit import api_endpoint, get_session

from .custom import user_source, user_sources
from .permissions import VIEW
from .query import FIXED_FILTERS, run_query
from .sources import DATE_DIMENSIONS, Source, all_sources

api = Blueprint("analytics_api", __name__)
BASE = "/api/v1/analytics"


def blueprints() -> list[Blueprint]:
    """The analytics API's blueprint."""
    return [api]


def describe(source: Source) -> dict[str, Any]:
    """A source as the API lists it: its measures, dimensions and filters."""
    dates = {"month": gettext("Month"), "week": gettext("Week"), "day": gettext("Day")}
    return {
        "id": source.id, "label": str(source.label), "plugin": source.plugin,
        "measures": [{"id": m.id, "label": str(m.label), "kind": m.kind, "unit": m.unit,
                      "places": m.places} for m in source.measures],
        "dimensions": [*({"id": name, "label": dates[name], "kind": "date"}
                         for name in DATE_DIMENSIONS),
                       *({"id": d.id, "label": str(d.label), "kind": d.kind,
                          "choices": {k: str(v) for k, v in d.choices.items()}}
                         for d in source.dimensions)],
        "filters": [*FIXED_FILTERS, *(d.id for d in source.dimensions)],
    }


class AnalyticsQuery(Schema):
    """A query: a source, one of its measures, up to two of its dimensions, filters."""

    source = fields.String(required=True, validate=validate.Length(1, 60))
    measure = fields.String(required=True, validate=validate.Length(1, 60))
    dimensions = fields.List(fields.String(validate=validate.Length(1, 60)),
                             load_default=list, validate=validate.Length(max=2))
    filters = fields.Dict(keys=fields.String(validate=validate.Length(1, 60)),
                          load_default=dict)


@api_endpoint(api, f"{BASE}/sources", permission=VIEW, tags=["analytics"], endpoint="sources")
def list_sources() -> dict[str, Any]:
    """The sources of facts the enabled plugins offer, with their measures, dimensions and
    filters (the custom fields you may see among them: ``cf_<key>``)."""
    sources = user_sources(get_session(), current_user._get_current_object())  # noqa: SLF001
    return {"items": [describe(source) for source in sources.values()]}


@api_endpoint(api, f"{BASE}/query", methods=("POST",), permission=VIEW, body=AnalyticsQuery,
              tags=["analytics"], endpoint="query")
def query(body: dict[str, Any]) -> dict[str, Any]:
    """Figures of one measure per dimension values, within your data scope.

    Money is a decimal string in yuan to the fen; filters ``date_from``/``date_to``
    (inclusive days in the company's time zone), ``owner_id``, ``department_id`` and any
    dimension of the source narrow your scope, never widen it."""
    user = current_user._get_current_object()  # noqa: SLF001
    source = user_source(get_session(), user, body["source"])
    if source is None:
        raise ValidationError({"source": [gettext(
            "There is no source %(name)s; the enabled ones are: %(names)s.",
            name=body["source"], names=", ".join(all_sources()))]})
    return run_query(get_session(), source, body["measure"], body["dimensions"],
                     body["filters"], user)
