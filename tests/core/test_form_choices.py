"""WTForms' deprecated choices stay out: options are ``SelectChoice``s, never plain tuples.

WTForms 3.3 deprecates ``(value, label)`` tuples (and dicts of them) as a select's choices
and drops them in 3.4. The test configuration (pyproject.toml) turns WTForms' deprecation
warnings into errors, so every test that builds such a form fails on a tuple; the scan below
also finds the forms no test happens to render.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest
from wtforms import Form, RadioField, SelectChoice, SelectField

REPO = Path(__file__).resolve().parents[2]
ROOTS = [REPO / "crm_core", REPO / "plugins", REPO / "examples"]
# WTForms fields (and the kernel's subclasses) that take choices
CHOICE_FIELDS = {"SelectField", "SelectMultipleField", "RadioField", "RelationField",
                 "MultiCheckboxField"}


def _tuples(node: ast.AST) -> bool:
    """Whether an expression builds a list of tuples: ``[("a", "A"), ...]``,
    ``[(v, l) for ...]``, ``[*x, ("a", "A")]`` or ``list(mapping.items())``."""
    if isinstance(node, ast.List):
        return any(isinstance(item, ast.Tuple) for item in node.elts)
    if isinstance(node, ast.ListComp):
        return isinstance(node.elt, ast.Tuple)
    if isinstance(node, ast.BinOp):
        return _tuples(node.left) or _tuples(node.right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "list":
        arg = node.args[0] if node.args else None
        return (isinstance(arg, ast.Call) and isinstance(arg.func, ast.Attribute)
                and arg.func.attr == "items")
    return False


def _name(func: ast.AST) -> str:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def tuple_choices(path: Path) -> list[str]:
    """``file:line`` of every choice field or ``.choices =`` given tuples in ``path``."""
    shown = path.relative_to(REPO) if path.is_relative_to(REPO) else path.name
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and _name(node.func) in CHOICE_FIELDS:
            found += [f"{shown}:{node.lineno}" for keyword in node.keywords
                      if keyword.arg == "choices" and _tuples(keyword.value)]
        elif isinstance(node, ast.Assign) and any(
                isinstance(target, ast.Attribute) and target.attr == "choices"
                for target in node.targets) and _tuples(node.value):
            found.append(f"{shown}:{node.lineno}")
    return found


def test_no_form_is_given_tuple_choices():
    found = [hit for root in ROOTS for path in sorted(root.rglob("*.py"))
             if "migrations" not in path.parts and "scaffold" not in path.parts
             for hit in tuple_choices(path)]
    assert found == [], "use wtforms.SelectChoice(value, label):\n" + "\n".join(found)


def test_the_scan_sees_the_shapes_it_forbids(tmp_path):
    sample = tmp_path / "forms.py"
    code = ("f = SelectField('x', choices=[('a', 'A')])\n"
            "g = RadioField('y', choices=list(LABELS.items()))\n"
            "form.z.choices = [(0, 'none'), *((i.id, i.name) for i in items)]\n"
            "form.w.choices = [(i.id, i.name) for i in items]\n"
            "ok = SelectField('v', choices=[SelectChoice('a', 'A')])\n"
            "resource = Field('status', choices=[('open', 'Open')])\n")
    sample.write_text(code, encoding="utf-8")
    hits = [hit.rsplit(":", 1)[1] for hit in tuple_choices(sample)]
    assert sorted(hits) == ["1", "2", "3", "4"]


def test_wtforms_deprecations_are_errors_in_the_test_run():
    filters = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["pytest"][
        "ini_options"]["filterwarnings"]
    assert "error::DeprecationWarning:wtforms.*" in filters

    class Old(Form):
        kind = SelectField("Kind", choices=[("a", "A"), ("b", "B")])

    class New(Form):
        kind = SelectField("Kind", choices=[SelectChoice("a", "A"), SelectChoice("b", "B")])
        mode = RadioField("Mode", choices={"x": "X", "y": "Y"})  # the shorthand dict is fine

    with pytest.raises(DeprecationWarning, match="tuples is deprecated"):
        Old()
    form = New()
    assert 'value="b"' in str(form.kind) and 'value="y"' in str(form.mode)
