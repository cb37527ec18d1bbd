"""Plugin loading as a user sees it: the real ``crm`` command refuses a bad plugin set in one
line (exit code 2, the plugin named), loads plugins in dependency order, lists what each one
registered, and reads its configuration from the environment and ``instance/crm.toml``.

Third-party plugins are built as real installed distributions in a temporary folder (package
plus ``*.dist-info`` with an entry point in ``crm.plugins``, by ``write_plugin_distribution``)
and put on ``PYTHONPATH``, so ``importlib.metadata`` finds them as if they were pip-installed.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from crm_core.testing import write_plugin_distribution

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILT_INS = ["customers", "sales", "service", "marketing", "analytics", "erp_bridge", "oa_bridge"]
ROW_KEYS = {"name", "version", "title", "enabled", "requires", "source", "models", "routes",
            "permissions", "menu_items", "widgets", "tasks", "state", "error", "task_names",
            "beat", "commands"}


# -- helpers ---------------------------------------------------------------------------------

def install_plugin(site: Path, name: str, requires: tuple[str, ...] = (), body: str = "",
                   header: str = "") -> None:
    """Install plugin ``name`` into ``site`` as pip would (``<name>_plugin`` + dist-info)."""
    write_plugin_distribution(site, name, plugin_source(name, requires, body, header))


def plugin_source(name: str, requires: tuple[str, ...] = (), body: str = "",
                  header: str = "") -> str:
    """``plugin.py`` of a plugin: ``header``, the toolkit import, ``PLUGIN``, then ``body``."""
    return (textwrap.dedent(header)
            + "from crm_core.toolkit import Model, Permission, PluginInfo, hookimpl\n\n"
            + f"PLUGIN = PluginInfo(name={name!r}, version='0.1.0', title={name.title()!r}, "
            + f"requires={tuple(requires)!r})\n\n"
            + textwrap.dedent(body))


def run_crm(tmp_path: Path, *args: str, site: Path | None = None,
            **env: str) -> subprocess.CompletedProcess[str]:
    """Run the real ``crm`` command in ``tmp_path`` with its own instance folder and database."""
    environ = {k: v for k, v in os.environ.items()
               if not k.startswith("CRM_") and k != "PYTHONPATH"}
    environ["CRM_INSTANCE_PATH"] = str(tmp_path / "instance")
    environ["CRM_DATABASE_URL"] = f"sqlite:///{tmp_path / 'crm.sqlite'}"
    if site is not None:
        environ["PYTHONPATH"] = str(site)
    environ.update(env)
    return subprocess.run([sys.executable, "-m", "crm_core.cli", *args], check=False,
                          cwd=tmp_path, env=environ, capture_output=True, text=True,
                          timeout=120)


def assert_refused(result: subprocess.CompletedProcess[str], *names: str) -> str:
    """Exit code 2 and exactly one ``crm: error:`` line on stderr naming every ``names``."""
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("crm: error: ")
    for name in names:
        assert name in lines[0], f"{name!r} not named in: {lines[0]}"
    return lines[0]


def plugin_rows(result: subprocess.CompletedProcess[str]) -> dict[str, dict]:
    """The rows ``crm plugins list --json`` printed, by plugin name."""
    assert result.stdout.strip(), f"crm plugins list printed no list; stderr: {result.stderr}"
    rows = json.loads(result.stdout)
    assert isinstance(rows, list)
    return {row["name"]: row for row in rows}


# -- refusals --------------------------------------------------------------------------------

def test_sales_without_customers_is_refused_in_one_line_naming_customers(tmp_path):
    result = run_crm(tmp_path, "db", "upgrade", CRM_PLUGINS="sales")
    line = assert_refused(result, "'sales'", "'customers'")
    assert "not enabled" in line


def test_unknown_plugin_is_refused_naming_it(tmp_path):
    result = run_crm(tmp_path, "db", "upgrade", CRM_PLUGINS="customers,custmers")
    line = assert_refused(result, "'custmers'")
    assert "unknown" in line


def test_requirement_cycle_is_refused_naming_a_plugin_in_the_cycle(tmp_path):
    site = tmp_path / "site"
    install_plugin(site, "cyc_a", requires=("cyc_b",))
    install_plugin(site, "cyc_b", requires=("cyc_a",))
    result = run_crm(tmp_path, "db", "upgrade", site=site, CRM_PLUGINS="customers,cyc_a,cyc_b")
    line = assert_refused(result)
    assert "cycle" in line
    assert "'cyc_a'" in line or "'cyc_b'" in line


def test_plugin_named_in_crm_plugins_that_fails_to_import_is_refused_naming_it(tmp_path):
    site = tmp_path / "site"
    install_plugin(site, "broken", header="import no_such_dependency_xyz  # noqa: F401\n")
    result = run_crm(tmp_path, "db", "upgrade", site=site, CRM_PLUGINS="customers,broken")
    assert_refused(result, "'broken'", "no_such_dependency_xyz")
    # Unset ("all installed"), it is disabled and reported instead: test_plugin_policy.py.


def test_plugin_that_fails_to_import_does_not_stop_an_app_that_leaves_it_out(tmp_path):
    site = tmp_path / "site"
    install_plugin(site, "broken", header="raise RuntimeError('boom at import')\n")
    result = run_crm(tmp_path, "db", "upgrade", site=site, CRM_PLUGINS="customers")
    assert result.returncode == 0, result.stderr
    assert "Database is up to date" in result.stdout


def test_misspelled_hook_is_refused_naming_the_plugin_and_the_hook(tmp_path):
    site = tmp_path / "site"
    install_plugin(site, "typo", body="""
        @hookimpl
        def crm_menu_itemz():
            return []
    """)
    result = run_crm(tmp_path, "db", "upgrade", site=site, CRM_PLUGINS="typo")
    assert_refused(result, "'typo'", "crm_menu_itemz")


def test_two_plugins_registering_the_same_permission_are_refused(tmp_path):
    site = tmp_path / "site"
    install_plugin(site, "dup_a", body="""
        @hookimpl
        def crm_permissions():
            return [Permission("dup_a.thing.view", "View things")]
    """)
    install_plugin(site, "dup_b", body="""
        @hookimpl
        def crm_permissions():
            return [Permission("dup_a.thing.view", "View things too")]
    """)
    result = run_crm(tmp_path, "db", "upgrade", site=site, CRM_PLUGINS="dup_a,dup_b")
    # The second plugin is named; the first is named by the permission's own prefix (a
    # permission must start with its plugin's name, so only its owner may declare it).
    assert_refused(result, "'dup_b'", "'dup_a.thing.view'")


def test_model_table_without_the_plugin_prefix_is_refused(tmp_path):
    site = tmp_path / "site"
    install_plugin(site, "badtable", header="""
        from sqlalchemy.orm import Mapped, mapped_column
    """, body="""
        class Thing(Model):
            __tablename__ = "things"
            id: Mapped[int] = mapped_column(primary_key=True)

        @hookimpl
        def crm_models():
            return [Thing]
    """)
    result = run_crm(tmp_path, "db", "upgrade", site=site, CRM_PLUGINS="badtable")
    assert_refused(result, "'badtable'", "'things'")


# -- load order and isolation ----------------------------------------------------------------

def test_builtin_plugins_load_requirements_first_then_by_name(crm_make_app):
    app = crm_make_app(plugins=BUILT_INS, migrate=False)
    names = app.extensions["crm"].names
    assert names == ["core", "analytics", "customers", "erp_bridge", "marketing", "oa_bridge",
                     "sales", "service"]
    for dependant in ("sales", "service", "marketing", "erp_bridge"):
        assert names.index("customers") < names.index(dependant)


def test_load_order_ignores_the_order_given_in_crm_plugins(crm_make_app):
    app = crm_make_app(plugins=["sales", "oa_bridge", "customers"], migrate=False)
    assert app.extensions["crm"].names == ["core", "customers", "oa_bridge", "sales"]


def test_load_order_follows_a_requirement_chain_before_names(crm_make_app,
                                                             crm_install_plugin):
    crm_install_plugin("chain_c", plugin_source("chain_c"))
    crm_install_plugin("chain_b", plugin_source("chain_b", requires=("chain_c",)))
    crm_install_plugin("chain_a", plugin_source("chain_a", requires=("chain_b",)))
    crm_install_plugin("chain_d", plugin_source("chain_d", requires=("chain_c",)))
    app = crm_make_app(plugins=["chain_a", "chain_b", "chain_c", "chain_d"], migrate=False)
    assert app.extensions["crm"].names == ["core", "chain_c", "chain_b", "chain_a", "chain_d"]
    pm_order = [name for name, _ in app.extensions["crm"].pm.list_name_plugin()]
    assert pm_order == ["core", "chain_c", "chain_b", "chain_a", "chain_d"]


def test_each_app_has_its_own_plugin_manager_and_hooks_do_not_leak(crm_make_app):
    with_example = crm_make_app(plugins=["example"], migrate=False)
    kernel_only = crm_make_app(plugins=[], migrate=False)
    a, b = with_example.extensions["crm"], kernel_only.extensions["crm"]
    assert a.pm is not b.pm
    assert a.pm.get_plugin("example") is not None
    assert b.pm.get_plugin("example") is None
    assert b.names == ["core"]

    assert "example.notes" in a.menu_items and "example.notes" not in b.menu_items
    assert "example.note.view" in a.permissions and "example.note.view" not in b.permissions

    assert with_example.test_client().get("/example/notes").status_code != 404
    assert kernel_only.test_client().get("/example/notes").status_code == 404


def test_builtin_plugins_package_is_this_repository(tmp_path):
    # ``plugins`` is a generic name: another installed package must not shadow ours. The
    # contract tests check this inside pytest; here a process started outside the repository,
    # as ``crm`` is in production, must find the same package.
    result = subprocess.run(
        [sys.executable, "-c", "import plugins.customers as m; print(m.__file__)"],
        check=False, cwd=tmp_path, capture_output=True, text=True, timeout=60,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).resolve().is_relative_to(REPO_ROOT)


# -- crm plugins list ------------------------------------------------------------------------

def test_plugins_list_json_describes_every_plugin(tmp_path):
    result = run_crm(tmp_path, "plugins", "list", "--json")
    assert result.returncode == 0, result.stderr
    rows = plugin_rows(result)
    for row in rows.values():
        assert set(row) == ROW_KEYS
        assert row["enabled"] is True
    for name in BUILT_INS:
        assert rows[name]["source"] == "built-in"
        assert rows[name]["version"] and rows[name]["title"]
    for name in ("sales", "service", "marketing", "erp_bridge"):
        assert rows[name]["requires"] == ["customers"]
    for name in ("analytics", "oa_bridge", "customers"):
        assert rows[name]["requires"] == []
    example = rows["example"]
    assert example["source"] == "entry point"
    assert (example["models"], example["permissions"], example["menu_items"],
            example["widgets"], example["tasks"]) == (1, 6, 1, 1, 1)
    assert example["routes"] >= 2


def test_plugins_list_shows_plugins_left_out_of_crm_plugins_as_disabled(tmp_path):
    result = run_crm(tmp_path, "plugins", "list", "--json", CRM_PLUGINS="customers,sales")
    assert result.returncode == 0, result.stderr
    rows = plugin_rows(result)
    assert {name for name, row in rows.items() if row["enabled"]} == {"customers", "sales"}
    assert set(BUILT_INS) | {"example"} <= set(rows)
    assert rows["example"]["enabled"] is False


def test_plugins_list_still_lists_when_an_installed_plugin_is_broken(tmp_path):
    site = tmp_path / "site"
    install_plugin(site, "broken", header="raise RuntimeError('boom at import')\n")
    result = run_crm(tmp_path, "plugins", "list", "--json", site=site,
                     CRM_PLUGINS="customers,broken")
    assert_refused(result, "'broken'", "boom at import")
    rows = plugin_rows(result)
    assert rows["broken"]["state"] == "broken"
    assert set(BUILT_INS) | {"example", "broken"} <= set(rows)
    assert rows["broken"]["source"] == "entry point"
    assert rows["customers"]["source"] == "built-in"


# -- configuration ---------------------------------------------------------------------------

@pytest.mark.parametrize(("setting", "named"), [
    ({"CRM_DATABASE_URL": "nonsense"}, "CRM_DATABASE_URL"),
    ({"CRM_BROKER_URL": "ftp://x"}, "CRM_BROKER_URL"),
    ({"CRM_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/x"}, "127.0.0.1"),
    ({"crm.toml": "[example\npage_size = 5\n"}, "crm.toml"),
], ids=["database-url-nonsense", "broker-url-ftp", "postgresql-unreachable", "invalid-toml"])
def test_bad_setting_stops_the_cli_with_one_line_and_exit_2(tmp_path, setting, named):
    setting = dict(setting)
    if "crm.toml" in setting:
        (tmp_path / "instance").mkdir()
        (tmp_path / "instance" / "crm.toml").write_text(setting.pop("crm.toml"))
    result = run_crm(tmp_path, "db", "upgrade", **setting)
    assert_refused(result, named)


def test_config_show_masks_secrets_and_merges_toml_under_environment(tmp_path):
    (tmp_path / "instance").mkdir()
    (tmp_path / "instance" / "crm.toml").write_text(
        '[example]\npage_size = 5\ngreeting = "from toml"\n')
    result = run_crm(
        tmp_path, "config", "show", "--json",
        CRM_SECRET_KEY="very-secret-key-value",
        CRM_DATABASE_URL="postgresql+psycopg://crm:hunter2pw@db.example:5432/crm",
        CRM_EXAMPLE_GREETING="from env")
    assert result.returncode == 0, result.stderr
    assert "very-secret-key-value" not in result.stdout
    assert "hunter2pw" not in result.stdout
    shown = json.loads(result.stdout)
    assert shown["CRM_SECRET_KEY"] == "***"
    assert shown["CRM_DATABASE_URL"] == "postgresql+psycopg://crm:***@db.example:5432/crm"
    assert shown["CRM_EXAMPLE_PAGE_SIZE"] == 5
    assert shown["CRM_EXAMPLE_GREETING"] == "from env"


def test_secret_key_is_generated_private_and_stable(tmp_path):
    key_file = tmp_path / "instance" / "secret_key"
    first = run_crm(tmp_path, "config", "show")
    assert first.returncode == 0, first.stderr
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text().strip()
    assert len(key) >= 32
    assert key not in first.stdout

    second = run_crm(tmp_path, "config", "show")
    assert second.returncode == 0, second.stderr
    assert key_file.read_text().strip() == key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
