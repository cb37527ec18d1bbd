"""A big plugin's feature modules (its *parts*), gathered by its hooks.

A plugin split into feature sub-packages names the modules that offer something in one
tuple; its ``plugin.py`` hooks then only gather. A part offers through plain module-level
functions named after the kernel hook without ``crm_`` (``menu_items()``,
``report_widgets()``, ``demo_data(size, session)``...) and listens to an event with
``on_<event>(**kwargs)``. Parts are imported when a hook first asks, never at plugin
discovery. A kernel hook needs no hand-written forwarder:
``globals().update(PARTS.forward("blueprints", "demo_data"))`` in ``plugin.py`` defines
``crm_blueprints()`` and ``crm_demo_data(size, session)``, each gathering from the parts, and
``PARTS.answer("privacy", privacy_export="export")`` defines ``crm_privacy_export(person,
session)`` answered by one module's function. Every business plugin is built this way
(docs/plugins.md, "Parts").
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import ModuleType
from typing import Any

from . import hookspecs
from .hookspecs import hookimpl


def call_with(function: Callable[..., Any], args: Sequence[Any],
              named: Mapping[str, Any]) -> Any:
    """``function(*args, **named)`` with only the names of ``named`` that its signature
    takes: like pluggy, a part asks for the hook arguments it needs (``celery_tasks()``
    ignores the ``celery`` of ``crm_celery_tasks(celery)``)."""
    if not named:
        return function(*args)
    taken = inspect.signature(function).parameters
    return function(*args, **{name: value for name, value in named.items() if name in taken})


def _implementation(body: Callable[[dict[str, Any]], Any], hook: str,
                    specs: ModuleType | None) -> Callable[..., Any]:
    """A hook implementation named ``hook`` whose arguments are the hookspec's (in
    ``specs`` or the kernel's; none when neither declares ``hook``), handed to ``body`` by
    name. pluggy reads the names from ``__wrapped__`` (``inspect.unwrap``)."""
    spec = getattr(specs, hook, None) or getattr(hookspecs, hook, None)
    names = tuple(inspect.signature(spec).parameters) if spec is not None else ()

    def implementation(*args: Any, **kwargs: Any) -> Any:
        return body({**dict(zip(names, args, strict=False)), **kwargs})

    if spec is not None:
        implementation.__wrapped__ = spec  # type: ignore[attr-defined]
    implementation.__name__ = implementation.__qualname__ = hook
    return hookimpl(implementation)


class PluginParts:
    """The part modules ``names`` (relative to ``package``) of one plugin."""

    def __init__(self, package: str, names: Sequence[str]) -> None:
        self.package = package
        self.names = tuple(names)

    def modules(self) -> Iterator[ModuleType]:
        """Each part's module, imported on first use."""
        for name in self.names:
            yield importlib.import_module(f"{self.package}.{name}")

    def gather(self, offer: str, *args: Any, **named: Any) -> list[Any]:
        """Everything the parts offer under ``offer`` (a part without it offers nothing; a
        module a part imported under that name is not an offer), each called with ``args``
        and the ``named`` arguments its signature takes."""
        return [item for part in self.modules()
                if callable(function := getattr(part, offer, None))
                for item in call_with(function, args, named)]

    def tell(self, event: str, **kwargs: Any) -> None:
        """Call ``on_<event>(**kwargs)`` of every part that listens to ``event``."""
        for part in self.modules():
            if callable(listener := getattr(part, f"on_{event}", None)):
                listener(**kwargs)

    def forward(self, *offers: str,
                specs: ModuleType | None = None) -> dict[str, Callable[..., Any]]:
        """Hook implementations ``crm_<offer>(...)`` of list hooks, each gathering ``offer``
        from the parts with the hook's arguments (as the hookspec in ``specs``, another
        plugin's ``hookspecs`` module, or the kernel's names them), by name: a plugin module
        adds them to its namespace, where pluggy finds them when it registers the module."""
        return {f"crm_{offer}": self._forwarder(offer, specs) for offer in offers}

    def _forwarder(self, offer: str, specs: ModuleType | None) -> Callable[..., Any]:
        def forward(named: dict[str, Any]) -> list[Any]:
            return self.gather(offer, **named)

        return _implementation(forward, f"crm_{offer}", specs)

    def answer(self, module: str, **offers: str) -> dict[str, Callable[..., Any]]:
        """Hook implementations ``crm_<offer>(...)`` answered by one function of the module
        ``module`` of the plugin (``answer("privacy", privacy_export="export")``: the
        kernel's ``crm_privacy_export(person, session)`` returns ``privacy.export(person,
        session)``), the module imported on the first call, the function looked up on each."""
        return {f"crm_{offer}": self._answerer(module, offer, function)
                for offer, function in offers.items()}

    def _answerer(self, module: str, offer: str, function: str) -> Callable[..., Any]:
        def answer(named: dict[str, Any]) -> Any:
            found = importlib.import_module(f"{self.package}.{module}")
            return call_with(getattr(found, function), (), named)

        return _implementation(answer, f"crm_{offer}", None)
