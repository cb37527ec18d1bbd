"""Timestamp windows and replay guards for inbound callbacks.

A signed callback can be captured and sent again. Two checks stop that, and the route runs both
after the signature:

- :func:`check_timestamp` refuses a timestamp older, or further in the future, than a window
  (5 minutes by default; the clock is injectable). Units differ per vendor: DingTalk's callback
  ``timestamp`` is in **milliseconds**, WeCom's and Feishu's (``X-Lark-Request-Timestamp``) in
  seconds.
- :class:`SeenIds` remembers event ids; :func:`refuse_replay` refuses one seen before. The ids
  must be kept much longer than the window, because vendors retry a failed delivery with a new,
  fresh timestamp and the same event (WeCom 3 times within seconds; DingTalk and Feishu retry for
  longer). The default is two days.

Only an in-memory store lives here, for tests and a single process; the database store comes
with the callback endpoints. Its ``add_if_new`` must be one atomic statement (an INSERT that
does nothing on a unique-key conflict, and reports whether it inserted), never a read followed by
a write, or two workers receiving the same retry would both process it.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from typing import Literal, Protocol

from plugins.oa_bridge.protocol.errors import MalformedCallback, Replayed, StaleTimestamp

__all__ = [
    "DEFAULT_SEEN_TTL_SECONDS",
    "DEFAULT_WINDOW_SECONDS",
    "Clock",
    "InMemorySeenIds",
    "SeenIds",
    "check_timestamp",
    "parse_timestamp",
    "refuse_replay",
]

Clock = Callable[[], float]
DEFAULT_WINDOW_SECONDS = 300.0
DEFAULT_SEEN_TTL_SECONDS = 2 * 24 * 3600.0

_NUMBER = re.compile(r"\d{1,16}(\.\d{1,9})?")


def parse_timestamp(value: str | int | float, unit: Literal["s", "ms"] = "s") -> float:
    """Seconds since the epoch from a vendor timestamp in ``unit``; :class:`MalformedCallback`.

    Accepts plain digits with an optional fraction (Feishu schema-1 ``ts`` has one); refuses
    signs, exponents, ``nan``, ``inf`` and anything else.
    """
    if unit not in ("s", "ms"):
        raise ValueError("unit must be 's' or 'ms'")
    text = str(value).strip() if not isinstance(value, bool) else ""
    if not _NUMBER.fullmatch(text):
        raise MalformedCallback("timestamp is not a number")
    seconds = float(text)
    return seconds / 1000.0 if unit == "ms" else seconds


def check_timestamp(value: str | int | float, *, unit: Literal["s", "ms"] = "s",
                    window_seconds: float = DEFAULT_WINDOW_SECONDS,
                    clock: Clock = time.time) -> float:
    """Refuse a timestamp outside ``now ± window_seconds``; return it in epoch seconds.

    Raises :class:`StaleTimestamp` (reason "timestamp too old" or "timestamp in the future")
    or :class:`MalformedCallback` for a value that is not a number.
    """
    if not window_seconds > 0:
        raise ValueError("window_seconds must be positive")
    stamp = parse_timestamp(value, unit)
    age = clock() - stamp
    if age > window_seconds:
        raise StaleTimestamp("timestamp too old")
    if -age > window_seconds:
        raise StaleTimestamp("timestamp in the future")
    return stamp


class SeenIds(Protocol):
    """Where event ids already processed are remembered, per scope (one connection each)."""

    def add_if_new(self, scope: str, event_id: str, *, ttl_seconds: float) -> bool:
        """Remember ``event_id`` in ``scope`` for ``ttl_seconds``; False if it was already there.

        Must be atomic: of two concurrent calls with the same id, exactly one returns True.
        """
        ...


class InMemorySeenIds:
    """A :class:`SeenIds` in a dict, for tests and one process; thread-safe, entries expire.

    ``max_entries`` bounds memory: past it, expired entries go, then the oldest.
    """

    def __init__(self, clock: Clock = time.time, max_entries: int = 100_000) -> None:
        """An empty store reading time from ``clock``."""
        self._clock = clock
        self._max = max_entries
        self._expires: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._expires)

    def add_if_new(self, scope: str, event_id: str, *, ttl_seconds: float) -> bool:
        """See :meth:`SeenIds.add_if_new`."""
        now = self._clock()
        key = (scope, event_id)
        with self._lock:
            expires = self._expires.get(key)
            if expires is not None and expires > now:
                return False
            self._expires.pop(key, None)
            self._expires[key] = now + ttl_seconds
            if len(self._expires) > self._max:
                self._evict(now)
            return True

    def _evict(self, now: float) -> None:
        for stale in [k for k, expires in self._expires.items() if expires <= now]:
            del self._expires[stale]
        while len(self._expires) > self._max:
            del self._expires[next(iter(self._expires))]


def refuse_replay(seen: SeenIds, scope: str, event_id: str | None, *,
                  ttl_seconds: float = DEFAULT_SEEN_TTL_SECONDS) -> None:
    """Record ``event_id``; raise :class:`Replayed` if ``scope`` has seen it within the TTL.

    A missing or empty id is :class:`MalformedCallback`: without an id there is no dedupe.
    """
    if not event_id:
        raise MalformedCallback("event id missing")
    if not seen.add_if_new(scope, event_id, ttl_seconds=ttl_seconds):
        raise Replayed("event already seen")
