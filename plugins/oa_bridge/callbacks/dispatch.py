"""Where an accepted OA event goes: the bridge's own handlers first (approval decisions),
then other plugins through the ``oa_event_received`` hook, each listener isolated."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session

from crm_core.toolkit import hooks

from ..models import OaConnection

log = logging.getLogger(__name__)


def dispatch(session: Session, connection: OaConnection, event_type: str,
             payload: dict[str, Any]) -> None:
    """Hand one event to its handlers, in the callback's transaction."""
    from ..approvals.decisions import on_event

    on_event(session, connection, event_type, payload)
    from ..org.tasks import on_event as org_event

    org_event(session, connection, event_type)
    caller = hooks().oa_event_received
    for impl in caller.get_hookimpls():
        try:
            impl.function(**{name: value for name, value in
                             {"connection": connection.name, "kind": connection.kind,
                              "event_type": event_type, "payload": payload}.items()
                             if name in impl.argnames})
        except Exception:  # one failing listener never breaks the callback
            log.exception("oa_event_received listener %s failed", impl.plugin_name)
