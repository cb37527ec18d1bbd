"""The kernel's import boundary, published as an import-linter contract type.

A plugin imports the kernel only through ``crm_core.toolkit`` (and its tests through
``crm_core.testing``). Which kernel modules are internal is the kernel's knowledge, not the
plugin's: this contract computes them from the installed ``crm_core`` package, so a
plugin's ``pyproject.toml`` names the contract type instead of copying a list that goes
stale whenever the kernel grows a package::

    [tool.importlinter]
    root_packages = ["crm_myplugin", "crm_core"]
    contract_types = ["crm_kernel_boundary: crm_core.lint.KernelBoundaryContract"]

    [[tool.importlinter.contracts]]
    name = "The plugin imports the kernel only through crm_core.toolkit"
    type = "crm_kernel_boundary"
    source_modules = ["crm_myplugin"]
"""

from __future__ import annotations

import pkgutil
from typing import Any

from importlinter import Contract, ContractCheck, fields, output

#: Kernel modules a plugin may import: the toolkit (and, from its tests, the testing kit).
PUBLIC_MODULES = ("crm_core.toolkit", "crm_core.testing")


def internal_modules() -> list[str]:
    """Every top-level module of ``crm_core`` except the public ones, e.g. ``crm_core.rbac``."""
    import crm_core

    names = {f"crm_core.{info.name}" for info in pkgutil.iter_modules(crm_core.__path__)}
    return sorted(names - set(PUBLIC_MODULES))


def _is_internal(module: str) -> bool:
    return module.startswith("crm_core.") and not any(
        module == public or module.startswith(public + ".") for public in PUBLIC_MODULES)


class KernelBoundaryContract(Contract):
    """Source modules may import ``crm_core`` only through its public modules (directly:
    the toolkit itself imports the internals, which is the point of it)."""

    source_modules = fields.ListField(subfield=fields.StringField())

    def check(self, graph: Any, verbose: bool) -> ContractCheck:
        violations = []
        for source in self.source_modules:  # type: ignore[attr-defined]
            if source not in graph.modules:
                continue
            for importer in sorted({source, *graph.find_descendants(source)}):
                for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                    if _is_internal(imported):
                        violations.append((importer, imported))
        return ContractCheck(kept=not violations, metadata={"violations": violations})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for importer, imported in check.metadata["violations"]:
            output.print_error(f"{importer} imports {imported}: use crm_core.toolkit",
                               bold=False)
            output.new_line()
