"""The hooks the marketing plugin offers to other plugins.

Events are called inside the unit of work that made the change, after the flush and before
commit, with keyword arguments only and ids, never ORM objects. A listener may write in the
same session (its writes commit or roll back with the change); a listener that raises is
logged and skipped and never stops the save (``toolkit.emit``). Implement them in your
``plugin.py`` with ``@hookimpl(optionalhook=True)`` so that your plugin works without
marketing. The sales plugin listens to ``campaign_response`` to open or update an
opportunity that carries the campaign id.
"""

from __future__ import annotations

from crm_core.toolkit import hookspec


@hookspec
def campaign_response(campaign_id: int, response_id: int, kind: str, customer_id: int | None,
                      contact_id: int | None, email: str) -> None:
    """Somebody responded to campaign ``campaign_id``: ``kind`` is ``click`` (a call to
    action was clicked), ``registration`` (an event registration) or ``manual`` (logged by
    staff). ``customer_id`` / ``contact_id`` are None when the response is not matched to a
    customer yet; ``email`` is "" when unknown. Each response row is announced once (a
    repeated click or registration of the same recipient is not a new response)."""
