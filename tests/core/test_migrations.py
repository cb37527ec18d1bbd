"""Migrations as a user runs them: ``crm db upgrade`` from an empty database brings every
promised plugin combination to a state ``crm db check`` accepts, on SQLite and PostgreSQL;
only enabled plugins are migrated; one plugin can be downgraded away; drift between a model
and its migrations is reported; ``/readyz`` says when the database is not migrated.

Every case runs the real ``crm`` command in a subprocess (about a second to start), so each
case makes at most the pair ``crm db upgrade`` + ``crm db check``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from crm_core.testing import FreshDatabases, app_environment, write_plugin_distribution

CORE_TABLES = {"core_user", "core_job"}

# Each built-in plugin and the example plugin with only what it requires.
PLUGIN_SETS = {
    "all": "all",
    "kernel-only": "none",
    "customers": "customers",
    "sales": "customers,sales",
    "service": "customers,service",
    "marketing": "customers,marketing",
    "analytics": "analytics",
    "erp_bridge": "customers,erp_bridge",
    "oa_bridge": "oa_bridge",
    "example": "example",
}


# -- helpers ---------------------------------------------------------------------------------

def run_crm(tmp_path: Path, database_url: str, plugins: str, *args: str,
            site: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real ``crm`` command on ``database_url`` with ``CRM_PLUGINS=plugins``."""
    environ = {k: v for k, v in os.environ.items()
               if not k.startswith("CRM_") and k != "PYTHONPATH"}
    environ.update(CRM_INSTANCE_PATH=str(tmp_path / "instance"),
                   CRM_DATABASE_URL=database_url, CRM_PLUGINS=plugins)
    if site is not None:
        environ["PYTHONPATH"] = str(site)
    return subprocess.run([sys.executable, "-m", "crm_core.cli", *args], check=False,
                          cwd=tmp_path, env=environ, capture_output=True, text=True,
                          timeout=120)


def run_crm_for_app(app, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the real ``crm`` command against the database and plugins of a test app."""
    environ = {k: v for k, v in os.environ.items()
               if not k.startswith("CRM_") and k != "PYTHONPATH"}
    environ.update(app_environment(app))
    return subprocess.run([sys.executable, "-m", "crm_core.cli", *args], check=False,
                          cwd=app.config["CRM_INSTANCE_PATH"], env=environ,
                          capture_output=True, text=True, timeout=120)


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}{result.stderr}"
    return result


def tables(database_url: str) -> set[str]:
    engine = create_engine(database_url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def item_plugin(name: str, requires: tuple[str, ...], model_columns: str) -> str:
    """``plugin.py`` of a plugin with one model, ``<name>_item``."""
    return f"""
        from sqlalchemy import String
        from sqlalchemy.orm import Mapped, mapped_column

        from crm_core.toolkit import Model, PluginInfo, hookimpl

        PLUGIN = PluginInfo(name={name!r}, version="0.1.0", title={name.title()!r},
                            requires={requires!r})


        class Item(Model):
            __tablename__ = "{name}_item"

            id: Mapped[int] = mapped_column(primary_key=True)
{textwrap.indent(textwrap.dedent(model_columns), " " * 12)}

        @hookimpl
        def crm_models():
            return [Item]
    """


def item_migration(name: str, revision: str, depends_on: str, columns: str) -> str:
    """A first migration for ``<name>_item`` (branch ``name``) creating ``columns``."""
    return f"""
        import sqlalchemy as sa
        from alembic import op

        revision = {revision!r}
        down_revision = None
        branch_labels = ({name!r},)
        depends_on = {depends_on!r}


        def upgrade():
            op.create_table(
                "{name}_item",
                sa.Column("id", sa.Integer(), nullable=False),
{textwrap.indent(textwrap.dedent(columns), " " * 16)}
                sa.PrimaryKeyConstraint("id", name=op.f("pk_{name}_item")),
            )


        def downgrade():
            op.drop_table("{name}_item")
    """


# -- every promised combination, from empty ---------------------------------------------------

class UpgradeMatrix:
    """``crm db upgrade`` then ``crm db check``, each plugin set on a fresh database.

    The CLI needs over a second to start, so the first matrix test of a database kind starts
    the pairs of every selected case of that kind side by side (one worker per CPU); each test
    then asserts on its own pair. Databases come from ``FreshDatabases`` (what
    ``crm_databases`` uses): PostgreSQL skips without ``CRM_TEST_DATABASE_URL``, fails under CI.
    """

    def __init__(self, tmp: Path, selected: list[tuple[str, str]]) -> None:
        self.tmp = tmp
        self.selected = selected
        self.databases = FreshDatabases(tmp)
        self.pool = ThreadPoolExecutor(max_workers=min(4, max(2, os.cpu_count() or 2)))
        self.runs: dict[tuple[str, str], Future] = {}

    def result(self, kind: str, plugins: str) -> tuple[subprocess.CompletedProcess[str], ...]:
        if (kind, plugins) not in self.runs:
            for case in [c for c in self.selected if c[0] == kind] or [(kind, plugins)]:
                url = self.databases.new(kind)  # may skip (or fail under CI) for PostgreSQL
                folder = self.tmp / f"{case[0]}-{len(self.runs)}"
                folder.mkdir()
                self.runs[case] = self.pool.submit(self._pair, folder, url, case[1])
        return self.runs[(kind, plugins)].result()

    @staticmethod
    def _pair(folder: Path, url: str, plugins: str) -> tuple[subprocess.CompletedProcess[str], ...]:
        upgraded = run_crm(folder, url, plugins, "db", "upgrade")
        if upgraded.returncode != 0:
            return (upgraded,)
        return upgraded, run_crm(folder, url, plugins, "db", "check")

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        self.databases.drop_all()


@pytest.fixture(scope="module")
def upgrade_matrix(request, tmp_path_factory):
    test_name = test_upgrade_from_empty_then_check_agrees.__name__
    selected = [(item.callspec.params["kind"], item.callspec.params["plugins"])
                for item in request.session.items
                if getattr(item, "originalname", None) == test_name and hasattr(item, "callspec")]
    matrix = UpgradeMatrix(tmp_path_factory.mktemp("upgrade-matrix"), selected)
    yield matrix
    matrix.close()


@pytest.mark.parametrize("plugins", list(PLUGIN_SETS.values()), ids=list(PLUGIN_SETS))
@pytest.mark.parametrize("kind", [
    "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_upgrade_from_empty_then_check_agrees(kind, plugins, upgrade_matrix):
    upgraded, *checked = upgrade_matrix.result(kind, plugins)
    ok(upgraded)
    assert "Database is up to date: core" in upgraded.stdout
    checked = ok(checked[0])
    assert "Models and migrations agree." in checked.stdout


# -- only enabled plugins, one plugin at a time -----------------------------------------------

def test_upgrade_migrates_only_enabled_plugins_and_a_plugin_enabled_later(crm_databases,
                                                                         tmp_path):
    url = crm_databases.new("sqlite")
    ok(run_crm(tmp_path, url, "none", "db", "upgrade"))
    assert CORE_TABLES <= tables(url)
    assert "example_note" not in tables(url)

    ok(run_crm(tmp_path, url, "example", "db", "upgrade"))
    assert {"example_note"} | CORE_TABLES <= tables(url)


def test_downgrade_example_to_base_removes_only_its_table(crm_make_app):
    app = crm_make_app(plugins=["example"])
    url = app.config["CRM_DATABASE_URL"]
    assert "example_note" in tables(url)

    ok(run_crm_for_app(app, "db", "downgrade", "example@base"))
    left = tables(url)
    assert "example_note" not in left
    assert CORE_TABLES <= left

    check = run_crm_for_app(app, "db", "check")
    assert check.returncode != 0
    assert "Not migrated" in check.stderr and "example" in check.stderr


def test_readyz_answers_503_until_the_database_is_upgraded(crm_make_app):
    app = crm_make_app(plugins=["example"], migrate=False)
    client = app.test_client()

    before = client.get("/readyz")
    assert before.status_code == 503
    assert before.is_json
    body = before.get_json()
    assert body["status"] == "not ready"
    assert "not migrated" in body["checks"]["database"]

    ok(run_crm_for_app(app, "db", "upgrade"))  # another process upgrades: no restart needed
    after = client.get("/readyz")
    assert after.status_code == 200, after.get_json()
    assert after.get_json()["checks"]["database"] == "ok"


# -- third-party plugins' migrations ----------------------------------------------------------

def test_check_reports_a_model_column_its_migrations_do_not_create(crm_databases, tmp_path):
    model = """
        name: Mapped[str] = mapped_column(String(50))
        colour: Mapped[str] = mapped_column(String(20))
    """
    migration = item_migration("drift", "d71f70000001", depends_on="core", columns="""
        sa.Column("name", sa.String(length=50), nullable=False),
    """)  # no "colour": the migration lags behind the model
    site = write_plugin_distribution(tmp_path / "site", "drift", item_plugin("drift", (), model),
                                     {"migrations/versions/drift_0001_items.py": migration})
    url = crm_databases.new("sqlite")
    ok(run_crm(tmp_path, url, "drift", "db", "upgrade", site=site))
    check = run_crm(tmp_path, url, "drift", "db", "check", site=site)
    assert check.returncode == 1, check.stdout + check.stderr
    assert "differ" in check.stderr
    assert "colour" in check.stderr and "drift_item" in check.stderr


def test_plugin_depending_on_example_upgrades_from_empty_and_downgrades_alone(crm_databases,
                                                                             tmp_path):
    model = """
        label: Mapped[str] = mapped_column(String(50))
    """
    migration = item_migration("notelinks", "a0e1ee000001", depends_on="example", columns="""
        sa.Column("label", sa.String(length=50), nullable=False),
    """)
    site = write_plugin_distribution(
        tmp_path / "site", "notelinks", item_plugin("notelinks", ("example",), model),
        {"migrations/versions/notelinks_0001_items.py": migration})
    url = crm_databases.new("sqlite")
    upgraded = ok(run_crm(tmp_path, url, "notelinks,example", "db", "upgrade", site=site))
    assert "notelinks" in upgraded.stdout
    assert {"example_note", "notelinks_item"} | CORE_TABLES <= tables(url)

    ok(run_crm(tmp_path, url, "notelinks,example", "db", "downgrade", "notelinks@base",
               site=site))
    left = tables(url)
    assert "notelinks_item" not in left
    assert {"example_note"} | CORE_TABLES <= left
