"""The wheels carry compiled message catalogs: ``pip install`` without ``make`` speaks Chinese.

The project and the example plugin are copied without any ``.mo`` file (a fresh checkout) and
built offline with pip (``--no-build-isolation``: the venv's setuptools and Babel). Each wheel
must hold the ``.mo`` of every ``.po`` it ships, and the ``.mo`` must translate. A plugin
builds with its own copy of the hook (the example's, the scaffold's): the copies stay the
kernel's.
"""

from __future__ import annotations

import ast
import gettext
import io
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "crm-plugin-example"
# what a fresh checkout lacks or a wheel does not need
LEFT_OUT = shutil.ignore_patterns("*.mo", "__pycache__", "*.pyc", "*.egg-info", "build", "dist",
                                  "vendor", "tests", "node_modules", ".venv", "instance")


def _wheel(source: Path, tmp: Path, parts: list[str]) -> zipfile.ZipFile:
    """Build the wheel of ``source`` (only ``parts`` copied, no .mo) offline; open it."""
    tree = tmp / "src"
    tree.mkdir()
    for part in parts:
        if (source / part).is_dir():
            shutil.copytree(source / part, tree / part, ignore=LEFT_OUT)
        else:
            shutil.copy2(source / part, tree / part)
    assert not list(tree.rglob("*.mo")), "the copy must start without compiled catalogs"
    env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                           "--no-build-isolation", "--quiet", "-w", str(tmp / "out"),
                           str(tree)],
                          env=env, capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, f"the wheel did not build:\n{done.stdout}\n{done.stderr}"
    [wheel] = (tmp / "out").glob("*.whl")
    return zipfile.ZipFile(wheel)


def _chinese(archive: zipfile.ZipFile, member: str, msgid: str) -> str:
    catalog = gettext.GNUTranslations(io.BytesIO(archive.read(member)))
    return catalog.gettext(msgid)


def _catalogs(archive: zipfile.ZipFile) -> tuple[set[str], set[str]]:
    names = set(archive.namelist())
    po = {name[:-3] for name in names if name.endswith(".po") and "/translations/" in name}
    mo = {name[:-3] for name in names if name.endswith(".mo")}
    return po, mo


@pytest.mark.timeout(300)
def test_the_platform_wheel_ships_compiled_catalogs(tmp_path: Path) -> None:
    with _wheel(REPO, tmp_path, ["pyproject.toml", "README.md", "crm_core", "plugins"]) as wheel:
        po, mo = _catalogs(wheel)
        assert "crm_core/translations/zh_CN/LC_MESSAGES/messages" in mo
        assert "plugins/customers/translations/zh_CN/LC_MESSAGES/messages" in mo
        assert po and po <= mo, f"catalogs shipped without their .mo: {sorted(po - mo)}"
        kernel = "crm_core/translations/zh_CN/LC_MESSAGES/messages.mo"
        assert _chinese(wheel, kernel, "Dashboard") == "仪表盘"


@pytest.mark.timeout(300)
def test_the_example_plugin_wheel_ships_its_compiled_catalog(tmp_path: Path) -> None:
    parts = ["pyproject.toml", "README.md", "crm_plugin_example"]
    with _wheel(EXAMPLE, tmp_path, parts) as wheel:
        po, mo = _catalogs(wheel)
        assert "crm_plugin_example/translations/zh_CN/LC_MESSAGES/messages" in mo
        assert po <= mo
        member = "crm_plugin_example/translations/zh_CN/LC_MESSAGES/messages.mo"
        assert _chinese(wheel, member, "Notes per day") == "每日笔记"


def _code(path: Path) -> str:
    """The module's code without its docstring."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    tree.body = tree.body[1:] if ast.get_docstring(tree) else tree.body
    return ast.dump(tree)


def test_the_plugin_copies_of_the_build_hook_are_the_kernels():
    kernel = _code(REPO / "crm_core" / "build_catalogs.py")
    copies = [EXAMPLE / "crm_plugin_example" / "build_catalogs.py",
              REPO / "crm_core" / "scaffold" / "template" / "pkg" / "build_catalogs.py.tmpl"]
    assert [_code(copy) == kernel for copy in copies] == [True, True]
    scaffolded = (REPO / "crm_core" / "scaffold" / "template" / "pyproject.toml.tmpl").read_text()
    assert 'build_py = "crm_$name.build_catalogs.BuildPy"' in scaffolded
