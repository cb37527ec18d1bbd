"""The system context: code that deliberately reads across every user's data scope.

A CLI command, a scheduled task or an event listener sometimes must read records no single
user could (another plugin's customers, to sync them to an ERP). Inside
``with system_context("why"):`` a ``scoped(...)`` query without an explicit user sees every
row, and every operation log entry written there names the actor ``system:<why>``. Entering
logs a line with the reason. A query given an explicit ``user`` still follows that user's
scope, so a job scoping by its owner stays correct inside the block.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from ..audit.context import acting_as

log = logging.getLogger("crm_core.system")
ACTOR_PREFIX = "system:"
_reason: ContextVar[str | None] = ContextVar("crm_system_context", default=None)


@contextmanager
def system_context(reason: str) -> Iterator[str]:
    """Run the block as the system: data scope lifted, log entries by ``system:<reason>``.

    ``reason`` says why, in a few words (``"nightly ERP sync"``); it is required, shown in
    the operation log as the actor's name (cut to fit 80 characters) and logged on entry.
    """
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise ValueError("system_context needs a reason: say why the data scope is lifted")
    log.info("system context entered: %s", reason, extra={"system_reason": reason})
    token = _reason.set(reason)
    try:
        with acting_as(None, (ACTOR_PREFIX + reason)[:80]):
            yield reason
    finally:
        _reason.reset(token)


def system_reason() -> str | None:
    """The reason of the system context the code runs in, or None outside one."""
    return _reason.get()


def in_system_context() -> bool:
    """Whether the code runs inside ``system_context``."""
    return _reason.get() is not None
