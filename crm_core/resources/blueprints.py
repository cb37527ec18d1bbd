"""The blueprints the kernel builds from one ``Resource``: its pages at
``/<plugin>/<name>`` and its API at ``/api/v1/<plugin>/<name>``."""

from __future__ import annotations

from flask import Blueprint

from . import ordering, views_list, views_record
from .api import build_api
from .declaration import Resource


def build_blueprints(resource: Resource) -> list[Blueprint]:
    """The HTML blueprint (``<plugin>_<name>``) and, unless ``api=False``, the API one."""
    pages = Blueprint(resource.endpoint, __name__,
                      url_prefix=f"/{resource.plugin}/{resource.name}")
    views_list.add_routes(pages, resource)
    views_record.add_routes(pages, resource)
    ordering.add_routes(pages, resource)
    return [pages, build_api(resource)] if resource.api else [pages]
