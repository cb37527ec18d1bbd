"""Calling a plugin's own events so that one broken listener never breaks a save.

``emit("customer_created", session, customer_id=1)`` calls every implementation of the hook
in pluggy's order, each inside a savepoint: a listener that raises is logged (with its
plugin's name) and its own writes are rolled back, while the change that fired the event and
every other listener's work go on to commit. Customers and sales both fire their events
through it.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)


def emit(event: str, session: Session, **kwargs: Any) -> None:
    """Call each listener of ``event`` with the keyword arguments it asks for."""
    caller = getattr(current_app.extensions["crm"].hook, event)
    # pluggy calls the last registered implementation first; keep its order.
    for impl in reversed(caller.get_hookimpls()):
        if impl.hookwrapper or impl.wrapper:
            continue
        arguments = {name: kwargs[name] for name in impl.argnames}
        try:
            with session.begin_nested():
                impl.function(**arguments)
        except Exception:  # noqa: BLE001 - a listener's bug must not lose the user's change
            log.exception("Listener %s of %s failed; the change was saved without it.",
                          impl.plugin_name, event)
