"""Small modules with one job each (STYLE.md, issue 11 "Shape"): no source module of the kernel,
the built-in plugins or the example plugin grows past 400 lines. Migrations are exempt (one
file per schema change, written once)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LIMIT = 400
SOURCES = ("crm_core", "plugins", "examples")


def _modules() -> list[Path]:
    return [path for root in SOURCES for path in (REPO / root).rglob("*.py")
            if "migrations" not in path.parts and "tests" not in path.parts
            and ".venv" not in path.parts and "build" not in path.parts]


def test_no_source_module_is_over_400_lines() -> None:
    modules = _modules()
    assert len(modules) > 100  # the walk found the sources, not an empty directory
    long = {str(path.relative_to(REPO)): count for path in modules
            if (count := len(path.read_text(encoding="utf-8").splitlines())) > LIMIT}
    assert long == {}, f"split these modules (lines > {LIMIT}): {long}"
