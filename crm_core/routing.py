"""URL rules whose compiled builders are shared by every app of the process.

Werkzeug compiles two Python functions per URL rule (``url_for``'s builders) by generating
and compiling source code: with the ~850 routes of every plugin that was nine tenths of
``create_app`` (0.13 of its 0.15 s on the reference machine). A process that builds many
apps (the test suite builds one per test, a plugin author's suite too) paid it each time.
A builder depends only on the rule's text, its parsed parts, its defaults and whether unknown
arguments are appended; it reads the rule's converters through its ``self`` argument when
it runs. So rules equal in those share one compiled function, bound to each rule as
Werkzeug binds its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from werkzeug.routing import Rule

_builders: dict[tuple[Any, ...], Callable[..., tuple[str, str]]] = {}
_lock = threading.Lock()


class SharedBuilderRule(Rule):
    """A Werkzeug ``Rule`` that compiles its URL builders once per process."""

    def _compile_builder(self, append_unknown: bool = True
                         ) -> Callable[..., tuple[str, str]]:
        defaults = self.defaults or {}
        # what Werkzeug's generated code is made of: the parts (static text and argument
        # names), the defaults' names in order and the text of those that fill a part
        key = (self.rule, append_unknown, tuple(self._trace), tuple(map(str, defaults)),
               tuple(self._converters[name].to_url(defaults[name])
                     for dynamic, name in self._trace if dynamic and name in defaults))
        builder = _builders.get(key)
        if builder is None:
            builder = super()._compile_builder(append_unknown)
            with _lock:
                builder = _builders.setdefault(key, builder)
        return builder
