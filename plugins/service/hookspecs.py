"""The hooks the service plugin offers to other plugins.

Events are called inside the unit of work that made the change, after the flush and before
commit, with keyword arguments only and ids, never ORM objects. A listener may write in the
same session (its writes commit or roll back with the change); a listener that raises is
logged and skipped and never stops the save (``toolkit.emit``). Implement them in your
``plugin.py`` with ``@hookimpl(optionalhook=True)`` so that your plugin works without
service. ``survey_answered`` joins them with the surveys.
"""

from __future__ import annotations

from crm_core.toolkit import hookspec


@hookspec
def ticket_created(ticket_id: int, request_id: int, customer_id: int,
                   request_type: str) -> None:
    """A ticket was opened for a service request (``request_type``: inquiry, complaint or
    suggestion); the first ticket of a request comes with the request."""


@hookspec
def ticket_resolved(ticket_id: int, customer_id: int, sla_state: str) -> None:
    """A ticket was resolved; ``sla_state`` is what it attained (``met``, ``missed`` or
    ``none``)."""


@hookspec
def ticket_reopened(ticket_id: int, customer_id: int) -> None:
    """A resolved ticket was reopened (it is in progress again)."""


@hookspec
def survey_answered(survey_id: int, ticket_id: int, customer_id: int, stars: int,
                    resolved: bool | None) -> None:
    """A customer answered the satisfaction survey of a resolved ticket: ``stars`` 1 to 5,
    ``resolved`` whether they say the problem was resolved (None when they did not say).
    Each survey is answered once."""
