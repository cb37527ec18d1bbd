"""Operation-log messages in the reader's language.

A caller hands ``record_event`` a lazy string, ``_l("%(user)s signed in.", user=name)`` (or
``lazy_ngettext`` for a count). The entry keeps the message's text id, its values and the
translation domain of the file that made it (``message_data``, canonical JSON), and its
English text in ``message`` for readers that do not translate (the CLI, ``crm audit``,
exports of the log). The pages show ``render_message(entry)``: the text in the viewer's
language, filled with the stored values. A plain string (and every entry written before
``message_data`` existed) is shown as it was written.
"""

from __future__ import annotations

import json
from typing import Any

from flask import current_app, has_app_context
from flask_babel import lazy_gettext

from .. import i18n_domains as domains

#: The message of an entry the database wrote by itself (``ON DELETE CASCADE``/``SET NULL``).
CASCADE = lazy_gettext("by the database (cascade)")


class Lowered:
    """A translatable text used inside a message in lower case (``"Exported 3 notes"``):
    ``_l("Exported %(count)d %(records)s", count=3, records=Lowered(resource.label))``."""

    def __init__(self, text: Any) -> None:
        self.text = text

    def __str__(self) -> str:
        return str(self.text).lower()


def _lazy_text(value: Any) -> dict[str, Any] | None:
    """A lazy string (or ``Lowered`` one) as ``{"text": msgid, "domain": ..., "lower": ...}``."""
    lower = isinstance(value, Lowered)
    inner = value.text if lower else value
    args = getattr(inner, "_args", None)
    if not args or not isinstance(args[0], str) or not hasattr(inner, "_func"):
        return {"text": str(inner), "lower": True} if lower else None
    found: dict[str, Any] = {"text": args[0], "lower": lower}
    if has_app_context():
        found["domain"] = domains.domain_of_file(
            current_app._get_current_object(),  # type: ignore[attr-defined]
            getattr(inner, "_crm_file", None))
    return found


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return _lazy_text(value) or str(value)


def _english_value(value: Any) -> Any:
    if isinstance(value, dict) and "text" in value:
        return str(value["text"]).lower() if value.get("lower") else value["text"]
    return value


def split_message(message: Any) -> tuple[str, str | None]:
    """``(English text, message_data JSON or None)`` of a message given to ``record_event``.

    A lazy string made by ``lazy_gettext``/``lazy_ngettext`` gives both; anything else is
    kept as its text, with no data.
    """
    args = getattr(message, "_args", None)
    if not args or not isinstance(args[0], str) or not hasattr(message, "_func"):
        return ("" if message is None else str(message)), None
    values = {key: _jsonable(value) for key, value in getattr(message, "_kwargs", {}).items()}
    # lazy_ngettext's count is "num" both in the text and in Flask-Babel's variables
    data: dict[str, Any] = {"id": args[0], "args": values}
    if len(args) >= 3 and isinstance(args[1], str):  # lazy_ngettext(singular, plural, n)
        data.update(plural=args[1], n=args[2])
        values.setdefault("num", args[2])
    filename = getattr(message, "_crm_file", None)
    if has_app_context():
        data["domain"] = domains.domain_of_file(current_app._get_current_object(),  # type: ignore[attr-defined]
                                                filename)
    from .chain import canonical_json

    english = {key: _english_value(value) for key, value in values.items()}
    return _fill(_english(data), {"args": english}), canonical_json(data)


def _english(data: dict[str, Any]) -> str:
    if "plural" in data and data.get("n") != 1:
        return str(data["plural"])
    return str(data["id"])


def _fill(text: str, data: dict[str, Any]) -> str:
    try:
        return text % data.get("args", {}) if data.get("args") else text
    except (KeyError, TypeError, ValueError):
        return text


def render_message(entry: Any) -> str:
    """An entry's message in the current language (its stored text when it has no
    ``message_data`` or its catalog lacks it)."""
    raw = getattr(entry, "message_data", None)
    if not raw:
        return entry.message or ""
    try:
        data = json.loads(raw)
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            return entry.message or ""
    except ValueError:
        return entry.message or ""
    from ..i18n import domain_translations

    catalog = domain_translations(str(data.get("domain") or domains.KERNEL_DOMAIN))
    if "plural" in data:
        text = catalog.ungettext(data["id"], str(data["plural"]), int(data.get("n") or 0))
    else:
        text = catalog.ugettext(data["id"])
    args = data.get("args")
    if isinstance(args, dict):
        args = {key: _translated_value(value) for key, value in args.items()}
    return _fill(text, {"args": args})


def _translated_value(value: Any) -> Any:
    """A stored value in the current language: a text given as a lazy string is translated
    in its own domain (a plugin's record name inside a kernel message)."""
    from ..i18n import domain_translations

    if not (isinstance(value, dict) and isinstance(value.get("text"), str)):
        return value
    text = domain_translations(str(value.get("domain") or domains.KERNEL_DOMAIN)).ugettext(
        value["text"])
    return text.lower() if value.get("lower") else text
