"""An install of the previous release, seeded with every plugin's demo data, is upgraded to
this version by ``crm db upgrade``: every record and file it held is still there, unchanged
(the upgrade may add rows, such as new permissions), and models and migrations agree.

The previous release's code is taken from git (its tag, or the commit CHANGELOG.md names for
it) and run as it was; a checkout without that history (an sdist, a shallow clone) skips.
"""

from __future__ import annotations

import io
import os
import re
import sqlite3
import subprocess
import sys
import tarfile
from collections import Counter
from pathlib import Path

import pytest

from crm_core.testing import invoke_cli

ROOT = Path(__file__).resolve().parents[2]
RELEASE = "v0.1.0"
PLUGINS = "customers,sales,service,marketing,analytics,erp_bridge,oa_bridge"


def _release_commit() -> str | None:
    named = re.search(rf"## {re.escape(RELEASE)} .*?\(commit ([0-9a-f]{{7,40}})\)",
                      (ROOT / "CHANGELOG.md").read_text(encoding="utf-8"))
    for revision in (f"{RELEASE}^{{commit}}", named.group(1) if named else None):
        if revision is None:
            continue
        found = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--verify", "--quiet",
                                revision], capture_output=True, text=True, check=False)
        if found.returncode == 0:
            return found.stdout.strip()
    return None


def _snapshot(database: Path) -> dict[str, tuple[list[str], list[tuple]]]:
    """Every table's columns and rows (ordered), read with plain sqlite3."""
    connection = sqlite3.connect(database)
    found = {}
    for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name NOT LIKE '%fts%' AND name <> 'alembic_version'"):
        columns = [row[1] for row in connection.execute(f'PRAGMA table_info("{name}")')]
        found[name] = (columns, sorted(connection.execute(
            f'SELECT {", ".join(chr(34) + c + chr(34) for c in columns)} FROM "{name}"'),
            key=repr))
    connection.close()
    return found


def test_the_previous_release_upgrades_with_every_record_and_file_intact(crm_make_app,
                                                                         tmp_path):
    commit = _release_commit()
    if commit is None:
        pytest.skip(f"{RELEASE} is not in this checkout's git history")
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", commit],
                             capture_output=True, check=True).stdout
    old = tmp_path / "release"
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(old, filter="data")
    instance = tmp_path / "instance"
    env = {key: value for key, value in os.environ.items() if not key.startswith("CRM_")}
    env.update({"PYTHONPATH": str(old), "CRM_INSTANCE_PATH": str(instance),
                "CRM_PLUGINS": PLUGINS, "CRM_ADMIN_PASSWORD": "upgrade-test-Pw-97531",
                "CRM_SECRET_KEY": "upgrade-test-secret"})
    for command in (["db", "upgrade"], ["users", "ensure-admin"], ["seed", "--size", "15"]):
        done = subprocess.run([sys.executable, "-m", "crm_core.cli", *command], cwd=old,
                              env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-2000:]
    attachment = instance / "files" / "3f" / "3f00"
    attachment.parent.mkdir(parents=True, exist_ok=True)
    attachment.write_bytes(b"a scanned contract \x00\x01")
    before = _snapshot(instance / "crm.sqlite")
    assert sum(len(rows) for _columns, rows in before.values()) > 500

    app = crm_make_app(plugins=PLUGINS.split(","), migrate=False,
                       CRM_INSTANCE_PATH=str(instance),
                       CRM_DATABASE_URL=f"sqlite:///{instance / 'crm.sqlite'}",
                       CRM_SECRET_KEY="upgrade-test-secret")
    upgraded = invoke_cli(app, "db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    checked = invoke_cli(app, "db", "check")
    assert checked.exit_code == 0, checked.output
    app.extensions["crm_db"].engine.dispose()
    after = _snapshot(instance / "crm.sqlite")
    for table, (columns, rows) in before.items():
        assert table in after, f"{table} is gone after the upgrade"
        now_columns, _ = after[table]
        missing = set(columns) - set(now_columns)
        assert not missing, f"{table} lost columns {sorted(missing)}"
        connection = sqlite3.connect(instance / "crm.sqlite")
        kept = sorted(connection.execute(
            f'SELECT {", ".join(chr(34) + c + chr(34) for c in columns)} FROM "{table}"'),
            key=repr)
        connection.close()
        lost = Counter(rows) - Counter(kept)  # new rows (permissions the upgrade adds) may come
        assert not lost, f"{table}: {sum(lost.values())} rows changed or gone after the upgrade"
    assert attachment.read_bytes() == b"a scanned contract \x00\x01"
