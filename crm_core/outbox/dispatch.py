"""After commit, ask a worker to deliver the messages the transaction wrote.

``enqueue`` notes the new row's id on the session (``session.info``); listeners on the
``Session`` class send one Celery task per committed transaction with those ids (in a
request, once its answer has been sent), and forget them when the transaction rolls back.
A lost task loses nothing: the beat's drain every minute delivers whatever is due.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import after_this_request, current_app, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

DELIVER_TASK = "core.outbox_deliver"
DRAIN_TASK = "core.outbox_drain"
_INFO_KEY = "crm_outbox_dispatch"
_installed = False


def deliver_after_commit(session: Session, message_id: int) -> None:
    """Send the deliver task for ``message_id`` once ``session``'s transaction commits."""
    _install()
    pending = session.info.get(_INFO_KEY)
    if pending is None:
        celery = current_app.extensions.get("celery")
        pending = session.info[_INFO_KEY] = {"celery": celery, "ids": []}
    if message_id not in pending["ids"]:
        pending["ids"].append(message_id)


def _install() -> None:
    global _installed
    if _installed:
        return
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_rollback", _after_rollback)
    _installed = True


def _after_commit(session: Session) -> None:
    pending: dict[str, Any] | None = session.info.pop(_INFO_KEY, None)
    if not pending or not pending["ids"] or pending["celery"] is None:
        return
    if has_request_context():
        # The answer need not wait for the broker (on the embedded one a second SQLite
        # transaction, 10-20 ms of a reply's 40): wake the worker once it has been sent.
        try:
            after_this_request(lambda response: _wake_on_close(response, pending))
            return
        except (AssertionError, RuntimeError):  # the answer is already being sent
            pass
    _wake(pending)


def _wake_on_close(response: Any, pending: dict[str, Any]) -> Any:
    response.call_on_close(lambda: _wake(pending))
    return response


def _wake(pending: dict[str, Any]) -> None:
    try:
        pending["celery"].send_task(DELIVER_TASK, kwargs={"ids": pending["ids"]})
    except Exception:  # broker down: the rows are committed; the beat's drain sends them
        log.warning("outbox: could not queue delivery of %s; the next drain will",
                    pending["ids"], exc_info=True)


def _after_rollback(session: Session) -> None:
    session.info.pop(_INFO_KEY, None)
