"""``GET /metrics``: the Prometheus text format, for the addresses of ``CRM_METRICS_ALLOW``
or a bearer ``CRM_METRICS_TOKEN``; anyone else gets the same 404 as an unknown URL."""

from __future__ import annotations

import hmac
import ipaddress
import os

from flask import Blueprint, Response, abort, current_app, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)

from ..auth.permissions import public
from .state import StateCollector

bp = Blueprint("core_metrics", __name__)


def _allowed() -> bool:
    token = current_app.config.get("CRM_METRICS_TOKEN") or ""
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    networks = str(current_app.config.get("CRM_METRICS_ALLOW") or "").split(",")
    for network in networks:
        try:
            if network.strip() and address in ipaddress.ip_network(network.strip(),
                                                                    strict=False):
                return True
        except ValueError:
            continue
    return False


@bp.get("/metrics")
@public  # guarded by address or token below, as Prometheus scrapes without a session
def metrics() -> Response:
    """The metrics of every process of this server, and the shared state."""
    if not _allowed():
        abort(404)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        processes = CollectorRegistry()
        multiprocess.MultiProcessCollector(processes)
        body = generate_latest(processes)
    else:
        body = generate_latest(REGISTRY)
    state = CollectorRegistry()
    state.register(StateCollector(current_app._get_current_object()))  # type: ignore[attr-defined]
    return Response(body + generate_latest(state), content_type=CONTENT_TYPE_LATEST)
