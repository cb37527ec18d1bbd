"""``/api/v1/notifications``: your own notifications, and marking them read.

Every signed-in user (session or token) uses their own; another user's notification id
answers 404 on every path, as if it did not exist.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort
from flask_login import current_user

from ..api.endpoint import api_endpoint
from ..api.pagination import paginate
from ..db import get_session
from .models import Notification
from .schemas import NotificationListQuery, NotificationOut, ReadAllOut, UnreadCountOut
from .service import NotFound, mark_all_read, mark_read, notifications_of, unread_count


def register(bp: Blueprint) -> None:
    """Add the API routes to the notifications blueprint."""

    @api_endpoint(bp, "/api/v1/notifications", response=NotificationOut, page=True,
                  query=NotificationListQuery, tags=["notifications"])
    def list_notifications(query: dict[str, Any]) -> Any:
        """Your notifications, newest first; ``?unread=1`` for the unread ones only."""
        # limit, cursor (and the kit's other page arguments) come from the query string
        return paginate(get_session(), notifications_of(current_user.id, query["unread"]),
                        descending=True)

    @api_endpoint(bp, "/api/v1/notifications/unread-count", response=UnreadCountOut,
                  tags=["notifications"])
    def unread_count_api() -> dict[str, int]:
        """How many of your notifications are unread (what the bell shows)."""
        return {"count": unread_count(get_session(), current_user.id)}

    @api_endpoint(bp, "/api/v1/notifications/<int:notification_id>/read", methods=["POST"],
                  response=NotificationOut, tags=["notifications"])
    def mark_read_api(notification_id: int) -> Notification:
        """Mark one of your notifications read; answers it."""
        session = get_session()
        try:
            notification = mark_read(session, current_user.id, notification_id)
        except NotFound:
            abort(404)
        session.commit()
        return notification

    @api_endpoint(bp, "/api/v1/notifications/read-all", methods=["POST"], response=ReadAllOut,
                  tags=["notifications"])
    def mark_all_read_api() -> dict[str, int]:
        """Mark all your notifications read; answers how many were unread."""
        session = get_session()
        marked = mark_all_read(session, current_user.id)
        session.commit()
        return {"marked": marked}
