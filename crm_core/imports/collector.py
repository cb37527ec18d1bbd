"""Python's cyclic garbage collector during a long pass over rows (an import, an export).

A pass makes and drops millions of small objects, and each time the collector's youngest
generation fills up, now and then it walks every object of the app as well (its modules,
models, routes, templates): an import spent ~20 % of its writing process there. During a
pass what existed before is frozen (never walked again meanwhile) and young objects are
collected every ``THRESHOLD`` allocations. A process forked during the pass inherits both,
and its copy-on-write pages are not touched by walks of the frozen objects.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["THRESHOLD", "few_collections"]

THRESHOLD = 50_000


@contextmanager
def few_collections() -> Iterator[None]:
    """Freeze what exists and collect young objects every ``THRESHOLD`` allocations, until
    the block ends (then the collector is as it was)."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(thresholds[0], THRESHOLD), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
