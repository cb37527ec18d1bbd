"""This plugin fires its events through the kernel's ``emit`` (``toolkit.emit``): each
listener in a savepoint, a failing one logged and skipped."""

from __future__ import annotations

from crm_core.toolkit import emit

__all__ = ["emit"]
