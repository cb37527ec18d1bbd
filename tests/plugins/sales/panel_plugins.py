"""Test plugins for the sales pages' panel hooks, registered only for a block:
``with registered(app, plugin, ...):`` (each under its class name); ``broken(hook)`` is one
whose implementation of ``hook`` raises."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask

from crm_core.toolkit import hookimpl


@contextmanager
def registered(app: Flask, *plugins: Any) -> Iterator[None]:
    """Register ``plugins`` on the app's plugin manager, and unregister them afterwards."""
    manager = app.extensions["crm"].pm
    for plugin in plugins:
        manager.register(plugin, name=f"test-{type(plugin).__name__.strip('_').lower()}")
    try:
        yield
    finally:
        for plugin in plugins:
            manager.unregister(plugin)


def broken(hook: str) -> Any:
    """A plugin whose ``hook`` raises, as a buggy plugin would."""

    def answer(self: Any) -> list[Any]:
        raise RuntimeError("a broken plugin")

    return type("Broken", (), {hook: hookimpl(answer)})()
