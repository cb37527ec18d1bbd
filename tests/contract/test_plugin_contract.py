"""The plugin contract: layout, metadata, documented hooks and enforced import rules."""

from __future__ import annotations

import ast
import inspect
import pkgutil
import re
import tomllib
from pathlib import Path

import pytest

import crm_core
import plugins
from crm_core import hookspecs, toolkit
from crm_core.registry import PluginInfo

REPO = Path(__file__).resolve().parents[2]
DOCS = (REPO / "docs" / "plugins.md").read_text(encoding="utf-8")
BUILT_IN = {
    "customers": (), "sales": ("customers",), "service": ("customers",),
    "marketing": ("customers",), "analytics": (), "erp_bridge": ("customers",), "oa_bridge": (),
}
HOOKSPECS = [name for name, func in inspect.getmembers(hookspecs, inspect.isfunction)
             if name.startswith("crm_")]


def _headings() -> set[str]:
    return set(re.findall(r"^### `([^`]+)`\s*$", DOCS, flags=re.MULTILINE))


def test_the_platform_hooks_of_the_architecture_exist():
    assert {"crm_permissions", "crm_roles", "crm_blueprints", "crm_menu_items",
            "crm_report_widgets", "crm_celery_tasks", "crm_beat_schedule", "crm_cli_commands",
            "crm_search", "crm_demo_data", "crm_startup"} <= set(HOOKSPECS)


@pytest.mark.parametrize("hook", HOOKSPECS)
def test_every_hookspec_has_a_docstring_and_a_section_in_the_docs(hook):
    doc = inspect.getdoc(getattr(hookspecs, hook)) or ""
    assert len(doc) > 40, f"{hook} needs a docstring that explains it"
    assert hook in _headings(), f"docs/plugins.md needs a '### `{hook}`' section"


@pytest.mark.parametrize("name", toolkit.__all__)
def test_every_toolkit_name_is_documented(name):
    assert f"toolkit.{name}" in _headings(), f"docs/plugins.md needs '### `toolkit.{name}`'"
    assert getattr(toolkit, name) is not None


def test_built_in_plugins_are_this_repositorys_own():
    # a generic top-level name like "plugins" could be shadowed by another installed package
    import importlib

    customers = importlib.import_module("plugins.customers")
    assert Path(plugins.__file__).resolve().parent == REPO / "plugins"
    assert Path(customers.__file__).resolve().is_relative_to(REPO)


def test_the_seven_built_in_plugins_exist_with_their_requirements():
    found = {m.name for m in pkgutil.iter_modules(plugins.__path__) if m.ispkg}
    assert found == set(BUILT_IN)
    for name, requires in BUILT_IN.items():
        module = __import__(f"plugins.{name}.plugin", fromlist=["PLUGIN"])
        assert isinstance(module.PLUGIN, PluginInfo)
        assert module.PLUGIN.name == name
        assert module.PLUGIN.requires == requires
        assert module.PLUGIN.title and module.PLUGIN.version


@pytest.mark.parametrize("name", sorted(BUILT_IN))
def test_importing_a_plugin_package_does_no_work(name):
    source = (REPO / "plugins" / name / "__init__.py").read_text()
    tree = ast.parse(source)
    assert all(isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
               for node in tree.body), f"plugins/{name}/__init__.py must stay empty"


def _plugin_imports() -> list[tuple[Path, str]]:
    imports = []
    roots = [REPO / "plugins", *(REPO / "examples").glob("*/crm_plugin_*")]
    for root in roots:
        for path in root.rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module:
                    imports.append((path, node.module))
                elif isinstance(node, ast.Import):
                    imports.extend((path, alias.name) for alias in node.names)
    return imports


def test_plugins_import_the_kernel_only_through_the_toolkit():
    offending = [f"{path.relative_to(REPO)}: {module}" for path, module in _plugin_imports()
                 if module.startswith("crm_core") and module != "crm_core.toolkit"]
    assert offending == []


def test_the_import_linter_contract_forbids_every_kernel_module_but_the_toolkit():
    from crm_core.lint import internal_modules

    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
    boundary = next(c for c in config["contracts"] if c["type"] == "crm_kernel_boundary")
    assert boundary["source_modules"] == ["plugins"]
    assert "crm_kernel_boundary: crm_core.lint.KernelBoundaryContract" in config[
        "contract_types"]
    # the kernel computes the list: every module but the toolkit and the testing kit
    kernel = {f"crm_core.{m.name}" for m in pkgutil.iter_modules(crm_core.__path__)}
    assert kernel - set(internal_modules()) == {"crm_core.toolkit", "crm_core.testing"}
    independence = next(c for c in config["contracts"] if c["type"] == "independence")
    assert set(independence["modules"]) == {f"plugins.{name}" for name in BUILT_IN}
