"""JSON bodies that are too deep: refused by a scan of the raw bytes, before parsing.

Python's ``json`` recurses once per nesting level, so ``[[[[...]]]]`` 100,000 deep raised
RecursionError (a 500) inside ``request.get_json()``. Brackets inside strings do not count.
"""

from __future__ import annotations

import re

DEFAULT_MAX_DEPTH = 32
# Strings (with their escapes) and the structural brackets; everything else is skipped.
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def json_depth_exceeds(raw: bytes, limit: int = DEFAULT_MAX_DEPTH) -> bool:
    """Whether the JSON text ``raw`` nests arrays and objects deeper than ``limit``."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    depth = 0
    for match in _TOKENS.finditer(raw):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif token in (b"]", b"}"):
            depth -= 1
    return False
