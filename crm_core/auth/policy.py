"""The password policy: long enough, not the user name, not a commonly used password.

The common passwords are the top of zxcvbn's frequency list (drawn from leaked password
sets), so the check works offline.
"""

from __future__ import annotations

from functools import lru_cache

from flask import current_app, has_app_context
from flask_babel import gettext, ngettext

DEFAULT_MIN_LENGTH = 10
COMMON_PASSWORDS_CHECKED = 10_000
# A name of one or two letters is part of too many good passwords to be refused inside one.
MIN_NAME_LENGTH_CHECKED = 3


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The 10,000 most used passwords, lower case."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"][:COMMON_PASSWORDS_CHECKED])


def min_length() -> int:
    """The minimum password length: ``CRM_PASSWORD_MIN_LENGTH`` of the running app, else 10."""
    if has_app_context():
        return int(current_app.config.get("CRM_PASSWORD_MIN_LENGTH", DEFAULT_MIN_LENGTH))
    return DEFAULT_MIN_LENGTH


def password_problems(password: str, username: str = "",
                      minimum: int | None = None) -> list[str]:
    """What is wrong with ``password`` for user ``username``, as sentences a user understands.

    An empty list means the password is acceptable.
    """
    minimum = min_length() if minimum is None else minimum
    problems: list[str] = []
    if len(password) < minimum:
        problems.append(ngettext("The password must have at least %(num)d character.",
                                 "The password must have at least %(num)d characters.",
                                 minimum))
    lowered = password.casefold()
    name = username.strip().casefold()
    if name and (lowered == name or (len(name) >= MIN_NAME_LENGTH_CHECKED and name in lowered)):
        problems.append(gettext("The password must not contain the user name."))
    if lowered in common_passwords() or lowered.strip() in common_passwords():
        problems.append(gettext("This password is one of the most commonly used ones; "
                                "choose one that is harder to guess."))
    return problems


def is_acceptable(password: str, username: str = "", minimum: int | None = None) -> bool:
    """Whether ``password`` passes the policy for ``username``."""
    return not password_problems(password, username, minimum)
