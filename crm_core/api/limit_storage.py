"""The in-process rate-limit counters (``crm-memory://``, the default storage).

limits' ``memory://`` storage starts a ``threading.Timer`` on every counted request whose
previous timer has run out (10 ms), to drop ended windows: under load that is a new thread
every few requests, about 0.7 ms each on the reference machine (issue 11, throughput). Here a
counter's window is dropped when it is next read (as limits already does) and every
``SWEEP_EVERY`` counts, ended windows of keys nobody reads again are swept in the request
itself. The fixed-window strategy the API uses needs nothing else.
"""

from __future__ import annotations

import time

from limits.storage import MemoryStorage


class SweptMemoryStorage(MemoryStorage):
    """limits' in-process storage, its expiry done inline instead of by timer threads."""

    STORAGE_SCHEME = ["crm-memory"]
    SWEEP_EVERY = 1024

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: str):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._counted = 0

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """Add ``amount`` to the counter of ``key``, whose window lasts ``expiry`` seconds."""
        self.get(key)  # drops the counter when its window has ended
        self._counted += 1
        if self._counted % self.SWEEP_EVERY == 0:
            self.sweep()
        with self.locks[key]:
            self.storage[key] += amount
            if self.storage[key] == amount:
                self.expirations[key] = time.time() + expiry
        return self.storage.get(key, 0)

    def sweep(self) -> int:
        """Drop every counter whose window has ended; returns how many."""
        now, dropped = time.time(), 0
        for key, ends in list(self.expirations.items()):
            if ends <= now:
                self.storage.pop(key, None)
                self.expirations.pop(key, None)
                self.locks.pop(key, None)
                dropped += 1
        return dropped
