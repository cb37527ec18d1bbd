"""The sales settings others read: letterhead, number patterns, days.

Stored with ``set_setting("sales.<key>", value)`` by the settings page; read with
``toolkit.get_setting``. Every reader falls back to the default when nothing was saved or
the stored value is unusable, so a fresh install prints quotes and numbers orders at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext

from crm_core.toolkit import DomainError, check_number_pattern, get_setting, set_setting

PREFIX = "sales."

#: The number series of each kind of document, as ``toolkit.next_number`` reads them.
PATTERN_DEFAULTS = {"quote": "QT{yyyy}{mm}-{seq:04}", "order": "SO{yyyy}{mm}-{seq:04}",
                    "contract": "HT{yyyy}-{seq:04}"}
LETTERHEAD_KEYS = ("company_name", "company_address", "company_phone", "tax_number",
                   "bank_name", "bank_account", "footer_note")
DEFAULTS: dict[str, Any] = {
    **dict.fromkeys(LETTERHEAD_KEYS, ""),
    **{f"{kind}_number_pattern": pattern for kind, pattern in PATTERN_DEFAULTS.items()},
    "quote_validity_days": 30,
    "renewal_days": 30,
    "contract_approval_note": "",
}
DAYS_MAX = 3650
PATTERN_MAX = 30  # the numbers' column holds 40 characters; the sequence grows


@dataclass(frozen=True)
class Letterhead:
    """What heads a printed quote or order."""

    company_name: str
    company_address: str
    company_phone: str
    tax_number: str
    bank_name: str
    bank_account: str
    footer_note: str


def get(key: str) -> Any:
    """The stored value of sales setting ``key`` (without the ``sales.`` prefix), or its
    default."""
    value = get_setting(PREFIX + key, DEFAULTS[key])
    return DEFAULTS[key] if value is None else value


def _days(key: str) -> int:
    try:
        days = int(get(key))
    except (TypeError, ValueError):
        return DEFAULTS[key]
    return days if 0 <= days <= DAYS_MAX else DEFAULTS[key]


def letterhead() -> Letterhead:
    """The company letterhead printed on quotes and orders (empty texts when not set)."""
    return Letterhead(**{key: str(get(key) or "") for key in LETTERHEAD_KEYS})


def pattern_problem(pattern: str) -> str | None:
    """Why ``pattern`` is not a usable number pattern (a message for the user), or None:
    ``toolkit.check_number_pattern``'s rules ({seq} once; {yyyy} {yy} {mm} {dd}), and at
    most 30 characters so that the numbers fit their column."""
    if len(pattern) > PATTERN_MAX:
        return gettext("A number pattern has at most %(max)d characters.", max=PATTERN_MAX)
    try:
        check_number_pattern(pattern)
    except DomainError as exc:
        return str(exc)
    return None


def number_pattern(kind: str) -> str:
    """The number pattern of ``kind`` (``"quote"``, ``"order"``, ``"contract"``) for
    ``toolkit.next_number``; the default when the stored one is unusable."""
    key = f"{kind}_number_pattern"
    pattern = str(get(key) or "")
    try:
        check_number_pattern(pattern)
    except DomainError:
        return PATTERN_DEFAULTS[kind]
    return pattern if len(pattern) <= PATTERN_MAX else PATTERN_DEFAULTS[kind]


def quote_validity_days() -> int:
    """How many days a new quote stays valid (default 30)."""
    return _days("quote_validity_days")


def renewal_days() -> int:
    """How many days before a contract ends its renewal reminder goes out (default 30)."""
    return _days("renewal_days")


def contract_approval_note() -> str:
    """The note shown to whoever submits a contract for approval (empty when not set)."""
    return str(get("contract_approval_note") or "")


def save(session: Any, values: dict[str, Any]) -> list[str]:
    """Store the settings in ``values`` (keys of ``DEFAULTS``); returns the keys whose
    value changed. The caller validated them and commits."""
    changed = []
    for key, value in values.items():
        if key not in DEFAULTS:
            raise KeyError(key)
        if get(key) != value:
            set_setting(session, PREFIX + key, value)
            changed.append(key)
    return changed
