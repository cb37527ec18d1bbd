"""A migration that would lose data is refused unless it says why that is safe.

An upgrade that drops a table or a column, changes a column's type, or runs DELETE, DROP or
TRUNCATE can destroy what users entered. Such a migration must carry a module-level
``DATA_LOSS_REVIEWED`` naming each thing it drops and why nothing is lost (copied elsewhere
first, derived data rebuilt in the same migration…). Downgrades are not checked: going back
is lossy by nature and never runs on its own.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = sorted([*ROOT.glob("crm_core/migrations/versions/*.py"),
                     *ROOT.glob("plugins/*/migrations/versions/*.py")])
LOSSY_SQL = re.compile(r"\b(DELETE\s+FROM|DROP\s+(TABLE|COLUMN|SCHEMA)|TRUNCATE)\b", re.I)


def _constants(tree: ast.Module) -> dict[str, str]:
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) \
                and isinstance(node.value.value, str):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = node.value.value
    return found


def _texts(node: ast.AST, constants: dict[str, str]) -> list[str]:
    texts = []
    for part in ast.walk(node):
        if isinstance(part, ast.Constant) and isinstance(part.value, str):
            texts.append(part.value)
        elif isinstance(part, ast.Name) and part.id in constants:
            texts.append(constants[part.id])
    return texts


def lossy_steps(source: str) -> list[str]:
    """What the ``upgrade()`` of a migration's ``source`` may destroy."""
    tree = ast.parse(source)
    constants = _constants(tree)
    steps = []
    for function in tree.body:
        if not (isinstance(function, ast.FunctionDef) and function.name == "upgrade"):
            continue
        for call in ast.walk(function):
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)):
                continue
            name = call.func.attr
            if name in ("drop_table", "drop_column"):
                steps.append(f"{name} {ast.unparse(call.args[0]) if call.args else ''}")
            elif name == "alter_column" and any(k.arg == "type_" for k in call.keywords):
                steps.append(f"type change of {ast.unparse(call.args[0])}")
            elif name == "execute":
                steps += [f"SQL {text.strip()[:60]!r}" for text in _texts(call, constants)
                          if LOSSY_SQL.search(text)]
    return steps


def _reviewed(source: str) -> bool:
    tree = ast.parse(source)
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(target, ast.Name) and target.id == "DATA_LOSS_REVIEWED"
                for target in node.targets):
            value = node.value
            return isinstance(value, ast.Dict) and bool(value.keys) or \
                isinstance(value, ast.Constant) and bool(value.value)
    return False


@pytest.mark.parametrize("path", MIGRATIONS, ids=lambda path: path.stem)
def test_no_migration_loses_data_without_saying_why_it_is_safe(path):
    source = path.read_text(encoding="utf-8")
    steps = lossy_steps(source)
    assert not steps or _reviewed(source), (
        f"{path.relative_to(ROOT)} may lose data ({'; '.join(steps)}): copy the data first, "
        "or add DATA_LOSS_REVIEWED = {what: why nothing is lost} to the migration")


def test_the_check_finds_drops_type_changes_and_deletes():
    source = '''
CLEAR = "DELETE FROM customers_note"

def upgrade():
    op.drop_table("customers_legacy")
    with op.batch_alter_table("customers_customer") as batch_op:
        batch_op.drop_column("fax")
        batch_op.alter_column("amount", type_=sa.Integer())
    op.execute(CLEAR)
    op.execute("truncate customers_tag")
    op.create_index("ix", "t", ["a"])

def downgrade():
    op.drop_table("customers_new")
'''
    assert sorted(lossy_steps(source)) == [
        "SQL 'DELETE FROM customers_note'", "SQL 'truncate customers_tag'",
        "drop_column 'fax'", "drop_table 'customers_legacy'", "type change of 'amount'"]
    assert not _reviewed(source)
    assert _reviewed(source + '\nDATA_LOSS_REVIEWED = {"customers_legacy": "copied"}\n')
    assert lossy_steps("def upgrade():\n    op.add_column('t', sa.Column('a'))\n") == []
