"""The project's tests use the fixtures of ``crm_core.testing`` (a pytest11 plugin)."""

from __future__ import annotations

from typing import Any

#: The longest modules, run first: with ``--dist loadfile`` a module runs in the process it
#: is sent to, and sent last (tests/security sorts last) they kept one process working alone
#: for minutes while the other had finished. pytest-xdist sends modules by their number of
#: tests, most first (these have one or a few), unless told ``--no-loadscope-reorder``
#: (pyproject's addopts): without it this order was ignored.
FIRST = ("tests/security/test_schemathesis.py", "tests/security/test_form_inputs.py",
         "tests/security/test_schemathesis_postgres.py",
         "tests/security/test_form_inputs_postgres.py", "tests/browser/")


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    """Put the longest modules first (a stable sort keeps every other order)."""
    def rank(item: Any) -> int:
        path = item.nodeid
        return next((place for place, start in enumerate(FIRST) if path.startswith(start)),
                    len(FIRST))

    items.sort(key=rank)
