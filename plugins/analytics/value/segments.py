"""The eight RFM segments and the three churn levels: their codes (stored), labels (shown
in the reader's language) and the rules that give them (documented in docs/analytics.md,
"Customer value").

- A score is *high* when it is 3 or more (the upper three quintiles), *low* below 3.
- The segment follows from high or low recency, frequency and monetary value (the classic
  table: 重要价值客户 = all three high ... 一般挽留客户 = all three low).
- The churn level compares the days since the last purchase with the customer's rhythm
  (their mean gap between purchases; bought on one day only: the others' mean gap): below 1.5
  times the rhythm *low*, below 3 times *medium*, else *high*.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

HIGH_SCORE = 3
#: (code, R high, F high, M high, label), most valuable first
SEGMENTS = (
    ("important_value", True, True, True, _l("Important value customers")),
    ("important_develop", True, False, True, _l("Important development customers")),
    ("important_keep", False, True, True, _l("Important retention customers")),
    ("important_retain", False, False, True, _l("Important win-back customers")),
    ("general_value", True, True, False, _l("General value customers")),
    ("general_develop", True, False, False, _l("General development customers")),
    ("general_keep", False, True, False, _l("General retention customers")),
    ("general_retain", False, False, False, _l("General win-back customers")),
)
SEGMENT_LABELS = {code: label for code, *_flags, label in SEGMENTS}
#: the risk (days since ÷ rhythm, in hundredths) from which a level starts
MEDIUM_FROM, HIGH_FROM = 150, 300
CHURN_LEVELS = (("high", _l("High")), ("medium", _l("Medium")), ("low", _l("Low")))
CHURN_LABELS = dict(CHURN_LEVELS)
#: the rhythm of customers who bought on one day only, when nobody bought on two days
DEFAULT_RHYTHM_DAYS = 90


def segment_of(r: int, f: int, m: int) -> str:
    """The segment code of scores ``r``, ``f``, ``m`` (1–5) — the rule the SQL applies."""
    flags = (r >= HIGH_SCORE, f >= HIGH_SCORE, m >= HIGH_SCORE)
    return next(code for code, *rest in SEGMENTS if tuple(rest[:3]) == flags)


def churn_of(risk: int) -> str:
    """The churn level of a risk in hundredths of the rhythm."""
    return "high" if risk >= HIGH_FROM else "medium" if risk >= MEDIUM_FROM else "low"


def reason(value: Any) -> str:
    """The churn level in words, in the reader's language: "上次购买 120 天前，平时约每 30 天
    购买一次"."""
    if not value.own_rhythm:
        return _("Last purchase %(days)d days ago; too few purchases to know their own "
                 "rhythm, and customers buy about every %(rhythm)d days.",
                 days=value.days_since, rhythm=value.rhythm_days)
    if value.rhythm_days == 1:
        return _("Last purchase %(days)d days ago; usually buys about every day.",
                 days=value.days_since)
    return _("Last purchase %(days)d days ago; usually buys about every %(rhythm)d days.",
             days=value.days_since, rhythm=value.rhythm_days)
