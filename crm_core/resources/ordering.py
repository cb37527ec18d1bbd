"""Rows kept in an order the user sets (``Resource(order_field="position")``): the list shows
"Move up" and "Move down" beside each row while it is sorted by that field, and
``POST /<plugin>/<name>/<id>/move`` (``direction=up|down``, the ``edit`` permission) moves the
record one place.

The kernel's move renumbers the rows the user may see ``0, 1, 2...`` in their order (which
also repairs gaps and ties), so it suits the short lists an administrator keeps (types,
stages), not a table of a million rows. ``Resource(move=...)`` replaces it with the plugin's
own: ``move(session, record, step, user)``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import Session

from ..auth.permissions import require_permission
from ..db import get_session
from ..errors import DomainError
from . import query, writes
from .declaration import Resource

STEPS = {"up": -1, "down": 1}


def move_record(session: Session, resource: Resource, record: Any, step: int,
                user: Any) -> None:
    """Move ``record`` ``step`` places (negative: up) among the records ``user`` may see,
    in the order of ``resource.order_field``; the caller commits."""
    if resource.move is not None:
        resource.move(session, record, step, user)
        session.flush()
        return
    name = resource.order_field
    if name is None:
        raise ValueError(f"resource {resource.name!r} has no order_field")
    model = resource.model
    rows = list(session.scalars(query.statement(resource, user)
                                .order_by(getattr(model, name), model.id)))
    index = next((i for i, row in enumerate(rows) if row.id == record.id), None)
    if index is None:
        return
    target = max(0, min(len(rows) - 1, index + step))
    rows.insert(target, rows.pop(index))
    for position, row in enumerate(rows):
        if getattr(row, name) != position:
            setattr(row, name, position)
    session.flush()


def add_routes(bp: Blueprint, resource: Resource) -> None:
    """Add ``move`` to ``bp`` when the resource has an ``order_field`` and offers editing."""
    if not resource.order_field or not resource.offers("edit"):
        return
    id_arg = resource.id_arg

    def move(**kwargs: Any):  # type: ignore[no-untyped-def]
        """Move a record one place up or down in the list's order."""
        step = STEPS.get(request.form.get("direction", ""))
        if step is None:
            abort(400)
        session = get_session()
        record = writes.get_record(session, resource, kwargs[id_arg], current_user)
        try:
            move_record(session, resource, record, step, current_user)
        except DomainError as exc:
            session.rollback()
            flash(str(exc), "error")
        else:
            session.commit()
            flash(_("Order saved."), "success")
        qs = request.form.get("qs", "")
        return redirect(url_for(".list") + (f"?{qs}" if qs and len(qs) < 2000 else ""))

    bp.add_url_rule(f"/<int:{id_arg}>/move", "move",
                    require_permission(resource.permission("edit"))(move), methods=["POST"])
