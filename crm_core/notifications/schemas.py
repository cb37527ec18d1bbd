"""The notification API's schemas (marshmallow), also its OpenAPI components."""

from __future__ import annotations

from typing import Any

from flask import url_for
from marshmallow import EXCLUDE, Schema, fields

from ..api.pagination import ListQuery
from ..api.schemas import UtcDateTime


class NotificationListQuery(ListQuery):
    """The notification list's query string: ``limit``, ``cursor`` and ``unread``."""

    class Meta:
        unknown = EXCLUDE

    unread = fields.Boolean(load_default=False,
                            metadata={"description": "1: only the unread ones."})


class NotificationOut(Schema):
    """One of your notifications."""

    id = fields.Integer()
    kind = fields.String(metadata={"description": "The declared kind (`system`, ...)."})
    title = fields.String()
    body = fields.String()
    link = fields.String(allow_none=True,
                         metadata={"description": "A path on this site, or null."})
    open_url = fields.Method("_open_url", metadata={
        "description": "Opening this page marks the notification read and follows its link."})
    read = fields.Boolean(attribute="is_read")
    created_at = UtcDateTime()
    read_at = UtcDateTime(allow_none=True)

    def _open_url(self, notification: Any) -> str:
        return url_for("core_notifications.open_notification", notification_id=notification.id)


class UnreadCountOut(Schema):
    """How many of your notifications are unread."""

    count = fields.Integer(required=True)


class ReadAllOut(Schema):
    """How many notifications ``read-all`` marked read."""

    marked = fields.Integer(required=True)
