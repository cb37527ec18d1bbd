"""A new customer's follow-up as another system's export holds it ("最后跟进时间",
"下次跟进时间", "跟进记录"): written with the customer as one contact record (kind "other"),
so the list's follow-up badge, 我的待跟进 and the 360° page's timeline show it as if it had
been entered here, and a later record takes over from it as from any other."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext as _

from crm_core.toolkit import utcnow

from ..validation import CONTENT_MAX, FieldError

__all__ = ["FOLLOW_UP_FIELDS", "follow_up_note", "follow_up_record"]

FOLLOW_UP_FIELDS = frozenset({"last_contact_at", "follow_up_on", "follow_up_note"})


def follow_up_note(cell: str) -> str:
    """The text of the last follow-up, as the record's content."""
    text = cell.strip()
    if len(text) > CONTENT_MAX:
        raise FieldError("follow_up_note", _("At most %(max)d characters.", max=CONTENT_MAX))
    return text


def follow_up_record(values: dict[str, Any]
                     ) -> tuple[dt.datetime, dt.date | None, str]:
    """Take the follow-up fields out of a cleaned row: ``(when it happened, the next
    follow-up day or None, what was said)``. Without a date of its own the record is dated
    now; without a text it says where it came from."""
    occurred = values.pop("last_contact_at", None) or utcnow()
    next_day = values.pop("follow_up_on", None)
    note = values.pop("follow_up_note", "") or _("Follow-up taken over from the imported file.")
    return occurred, next_day, note
