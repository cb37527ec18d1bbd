"""``crm plugin new NAME``: a pip-installable plugin package that works as soon as it is
installed and migrated (docs/plugins.md, "Starting a plugin: crm plugin new")."""

from __future__ import annotations

import datetime as dt
import keyword
import re
import secrets
from pathlib import Path
from string import Template

TEMPLATE = Path(__file__).resolve().parent / "template"
NAME = re.compile(r"^[a-z][a-z0-9_]{1,29}$")
#: Names a plugin may not take: the kernel's own branch and Python's standard spellings.
RESERVED = {"core", "crm", "api", "static", "admin", "test", "tests"}


class ScaffoldError(ValueError):
    """The plugin cannot be made as asked; the message says why."""


def check_name(name: str, taken: set[str]) -> None:
    """Refuse a name that is not a lower-case identifier, is reserved or is taken."""
    if not NAME.match(name) or keyword.iskeyword(name) or name.endswith("_"):
        raise ScaffoldError(f"{name!r} is not a plugin name: use 2-30 lower-case letters, "
                            "digits and underscores, starting with a letter")
    if name in RESERVED:
        raise ScaffoldError(f"{name!r} is reserved by the platform; choose another name")
    if name in taken:
        raise ScaffoldError(f"a plugin named {name!r} is already installed")


def _destination(relative: Path, name: str) -> Path:
    parts = ["crm_" + name if part == "pkg" else part for part in relative.parts]
    file_name = parts[-1].removesuffix(".tmpl")
    if file_name == "0001_items.py":
        file_name = f"{name}_0001_items.py"
    elif file_name == "test_plugin.py":
        file_name = f"test_{name}.py"
    return Path(*parts[:-1], file_name)


def create_plugin(name: str, directory: Path, kernel_head: str,
                  taken: set[str] = frozenset()) -> Path:  # type: ignore[assignment]
    """Write ``directory/crm-<name>/`` and return it; refuse to touch an existing folder."""
    check_name(name, set(taken))
    root = directory / f"crm-{name}"
    if root.exists():
        raise ScaffoldError(f"{root} exists already; choose another directory or name")
    values = {"name": name, "title": name.replace("_", " ").title(),
              "revision": secrets.token_hex(6), "kernel_head": kernel_head,
              "created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")}
    for source in sorted(TEMPLATE.rglob("*.tmpl")):
        target = root / _destination(source.relative_to(TEMPLATE), name)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(Template(source.read_text(encoding="utf-8")).substitute(values),
                          encoding="utf-8")
    return root
