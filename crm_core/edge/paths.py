"""Where a link or a "next" parameter may send a browser: a path on this site only."""

from __future__ import annotations

from urllib.parse import urlsplit


def same_site_path(target: str | None) -> str | None:
    """``target`` when it is a path on this site (``/customers/12?tab=deals``), else None.

    Refused: empty values, absolute URLs (``https://…``), scheme-relative ones
    (``//evil.example``), other schemes (``javascript:``) and backslashes, which browsers
    read as slashes (``/\\evil.example`` is another site).
    """
    if not target or not target.startswith("/") or "\\" in target:
        return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc else target
