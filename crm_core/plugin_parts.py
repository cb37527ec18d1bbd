"""A big plugin's feature modules (its *parts*), gathered by its hooks.

A plugin split into feature sub-packages names the modules that offer something in one
tuple; its ``plugin.py`` hooks then only gather. A part offers through plain module-level
functions named after the kernel hook without ``crm_`` (``menu_items()``,
``report_widgets()``, ``demo_data(size, session)``...) and listens to an event with
``on_<event>(**kwargs)``. Parts are imported when a hook first asks, never at plugin
discovery. The hooks that take no argument need no hand-written forwarder:
``globals().update(PARTS.forward("blueprints", "menu_items"))`` in ``plugin.py`` defines
``crm_blueprints()`` and ``crm_menu_items()``, each gathering from the parts. Every
business plugin is built this way (docs/plugins.md, "Parts").
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Sequence
from types import ModuleType
from typing import Any

from .hookspecs import hookimpl


class PluginParts:
    """The part modules ``names`` (relative to ``package``) of one plugin."""

    def __init__(self, package: str, names: Sequence[str]) -> None:
        self.package = package
        self.names = tuple(names)

    def modules(self) -> Iterator[ModuleType]:
        """Each part's module, imported on first use."""
        for name in self.names:
            yield importlib.import_module(f"{self.package}.{name}")

    def gather(self, offer: str, *args: Any) -> list[Any]:
        """Everything the parts offer under ``offer`` (a part without it offers nothing; a
        module a part imported under that name is not an offer)."""
        return [item for part in self.modules()
                if callable(function := getattr(part, offer, None))
                for item in function(*args)]

    def tell(self, event: str, **kwargs: Any) -> None:
        """Call ``on_<event>(**kwargs)`` of every part that listens to ``event``."""
        for part in self.modules():
            if callable(listener := getattr(part, f"on_{event}", None)):
                listener(**kwargs)

    def forward(self, *offers: str) -> dict[str, Callable[[], list[Any]]]:
        """Hook implementations ``crm_<offer>()`` for argument-free list hooks, each gathering
        ``offer`` from the parts, by name: a plugin module adds them to its namespace, where
        pluggy finds them when it registers the module."""
        return {f"crm_{offer}": self._forwarder(offer) for offer in offers}

    def _forwarder(self, offer: str) -> Callable[[], list[Any]]:
        def forward() -> list[Any]:
            return self.gather(offer)

        forward.__name__ = forward.__qualname__ = f"crm_{offer}"
        forward.__doc__ = f"What the parts offer as ``{offer}``."
        return hookimpl(forward)
