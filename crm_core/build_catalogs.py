"""The build hook that puts compiled message catalogs into the wheel.

``pyproject.toml`` names ``BuildPy`` as setuptools' ``build_py`` command. After setuptools has
copied the packages, every ``translations/<locale>/LC_MESSAGES/*.po`` found in the build
directory is compiled with Babel to the ``.mo`` beside it (fuzzy entries left out, as
``crm i18n compile`` does), so ``pip install`` of the project gives Chinese without ``make``.
An editable install (``pip install -e``) compiles the catalogs in the source tree instead.

setuptools loads this file by its path at build time, without importing ``crm_core``: it may
import only the standard library, setuptools and Babel (the build requirements).
"""

from __future__ import annotations

import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from setuptools.command.build_py import build_py


def compile_tree(root: Path) -> list[Path]:
    """Compile every ``translations/*/LC_MESSAGES/*.po`` under ``root``; the ``.mo`` written.

    Raises ``ValueError`` naming the file and msgid when a translation would break at run time
    (a placeholder the msgid does not have), so a broken catalog fails the build.
    """
    written = []
    for po in sorted(root.rglob("translations/*/LC_MESSAGES/*.po")):
        locale = po.parent.parent.name
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=locale, domain=po.stem)
        problems = [f"{po}:{message.lineno}: {message.id!r}: {error}"
                    for message, errors in catalog.check() for error in errors]
        if problems:
            raise ValueError("broken translations:\n" + "\n".join(problems))
        buffer = io.BytesIO()
        write_mo(buffer, catalog, use_fuzzy=False)
        target = po.with_suffix(".mo")
        if not target.exists() or target.read_bytes() != buffer.getvalue():
            target.write_bytes(buffer.getvalue())
        written.append(target)
    return written


class BuildPy(build_py):
    """setuptools' ``build_py`` that also compiles the packages' message catalogs."""

    def run(self) -> None:
        """Copy the packages as usual, then compile their ``.po`` files to ``.mo``."""
        super().run()
        editable = getattr(self, "editable_mode", False)
        packages = set(self.packages or ())
        compiled = []
        for package in sorted(packages):
            if package.rpartition(".")[0] in packages:
                continue  # the walk of its parent package covers it
            where = Path(self.get_package_dir(package)) if editable else \
                Path(self.build_lib, *package.split("."))
            if where.is_dir():
                compiled += [str(path) for path in compile_tree(where)]
        # an editable install's catalogs stay in the source tree, not among the built files
        self._compiled = [] if editable else compiled

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        """The files built, the compiled catalogs among them."""
        outputs = super().get_outputs(include_bytecode)
        return outputs + [path for path in getattr(self, "_compiled", [])
                          if path not in outputs]
