"""The outbox's settings (``CRM_OUTBOX_*``), checked when the app starts."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app

from ..errors import ConfigError

#: name -> (smallest value, whole number?)
LIMITS = {
    "CRM_OUTBOX_MAX_ATTEMPTS": (1, True),
    "CRM_OUTBOX_BACKOFF_SECONDS": (0, False),
    "CRM_OUTBOX_BACKOFF_MAX_SECONDS": (0, False),
    "CRM_OUTBOX_LEASE_SECONDS": (1, False),
    "CRM_OUTBOX_KEEP_DAYS": (0, True),
}


@dataclass(frozen=True)
class OutboxSettings:
    """How often and how patiently the outbox tries (see docs/plugins.md, "Outbox")."""

    max_attempts: int = 12
    backoff: float = 30.0
    backoff_max: float = 3600.0
    lease: float = 300.0
    keep_days: int = 30

    def delay(self, attempt: int) -> float:
        """Seconds before try ``attempt + 1``: exponential in ``attempt``, capped, with
        jitter (between half and all of it), so failed messages do not retry in step."""
        full = min(self.backoff_max, self.backoff * 2 ** max(0, attempt - 1))
        return full / 2 + random.uniform(0, full / 2)


def _number(name: str, value: Any) -> float:
    smallest, whole = LIMITS[name]
    try:
        number = int(value) if whole else float(value)
        if whole and str(value).strip() != str(number) and not isinstance(value, int):
            raise ValueError
    except (TypeError, ValueError):
        number = smallest - 1
    if number < smallest:
        kind = "a whole number" if whole else "a number of seconds"
        raise ConfigError(f"{name} must be {kind} of at least {smallest}, not {value!r}")
    return number


def check_settings(app: Flask) -> OutboxSettings:
    """Read and check the ``CRM_OUTBOX_*`` settings; ``ConfigError`` names a bad one."""
    defaults = OutboxSettings()
    values = {name: _number(name, app.config.get(name, default)) for name, default in (
        ("CRM_OUTBOX_MAX_ATTEMPTS", defaults.max_attempts),
        ("CRM_OUTBOX_BACKOFF_SECONDS", defaults.backoff),
        ("CRM_OUTBOX_BACKOFF_MAX_SECONDS", defaults.backoff_max),
        ("CRM_OUTBOX_LEASE_SECONDS", defaults.lease),
        ("CRM_OUTBOX_KEEP_DAYS", defaults.keep_days))}
    app.config.update(values)
    return OutboxSettings(int(values["CRM_OUTBOX_MAX_ATTEMPTS"]),
                          values["CRM_OUTBOX_BACKOFF_SECONDS"],
                          values["CRM_OUTBOX_BACKOFF_MAX_SECONDS"],
                          values["CRM_OUTBOX_LEASE_SECONDS"],
                          int(values["CRM_OUTBOX_KEEP_DAYS"]))


def outbox_settings() -> OutboxSettings:
    """The running app's outbox settings."""
    return check_settings(current_app._get_current_object())  # type: ignore[attr-defined]
