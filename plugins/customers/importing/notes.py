"""Which columns of an imported file go to a customer's notes, and which keep their header
there: a column of notes ("备注") as it is, and columns no field holds ("微信", "联系人")
each under its header ("微信：wx_123"), rather than left out of the import."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from crm_core.toolkit import ImportField, guess_mapping

__all__ = ["NOTED", "NOTE_ALIASES", "noted_under_header"]

NOTE_ALIASES = ("备注", "说明", "notes", "note", "remark", "remarks", "comment", "comments",
                "description")
NOTED = ("联系人", "联系人姓名", "联系人职务", "职务", "微信", "微信号", "qq", "qq号", "传真",
         "wechat", "fax", "contact", "contactname")
_PLAIN_NOTES = [ImportField("notes", _l("Notes"), aliases=NOTE_ALIASES, multiple=True)]


def noted_under_header(header: str) -> bool:
    """Whether a column mapped to the notes keeps its header before each cell ("微信：…"):
    every column but one of notes ("备注", "说明")."""
    return guess_mapping([header], _PLAIN_NOTES) != ["notes"]
