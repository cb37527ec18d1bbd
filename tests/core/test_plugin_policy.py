"""Plugin policy as an operator sees it: ``crm plugins enable|disable`` choose the enabled set
in ``instance/crm.toml`` (the environment still wins), refuse what would break a requirement
naming the plugins in the way, migrate on enable and keep data on disable; a broken
third-party plugin is disabled and reported when every installed plugin is enabled.

Everything runs the real ``crm`` command in a subprocess on its own instance folder, with
third-party plugins installed as real distributions (``write_plugin_distribution``).
"""

from __future__ import annotations

import json
import sqlite3
import tomllib
from pathlib import Path

from tests.core.test_plugin_loading import (
    BUILT_INS,
    assert_refused,
    install_plugin,
    plugin_rows,
    run_crm,
)

CUSTOMER_DEPENDENTS = ["erp_bridge", "marketing", "sales", "service"]


def toml_plugins(tmp_path: Path) -> list[str] | None:
    path = tmp_path / "instance" / "crm.toml"
    if not path.exists():
        return None
    return tomllib.loads(path.read_text())["plugins"]


def enabled(tmp_path: Path, site: Path | None = None, **env: str) -> set[str]:
    result = run_crm(tmp_path, "plugins", "list", "--json", site=site, **env)
    assert result.returncode == 0, result.stderr
    return {name for name, row in plugin_rows(result).items() if row["state"] == "enabled"}


# -- enable and disable ----------------------------------------------------------------------

def test_disabling_customers_while_sales_is_enabled_is_refused_naming_both(tmp_path):
    result = run_crm(tmp_path, "plugins", "disable", "customers")
    line = assert_refused(result, "'customers'", "'sales'", "'service'", "'marketing'")
    assert "require" in line
    assert toml_plugins(tmp_path) is None  # nothing written


def test_disable_writes_crm_toml_keeps_other_settings_and_the_next_start_follows_it(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "crm.toml").write_text("# ours\nlog_level = \"DEBUG\"\n\n[customers]\n"
                                       "page_size = 7\n")
    result = run_crm(tmp_path, "plugins", "disable", "sales")
    assert result.returncode == 0, result.stderr
    assert "restart" in result.stdout.lower()
    text = (instance / "crm.toml").read_text()
    assert "# ours" in text and "page_size = 7" in text and 'log_level = "DEBUG"' in text
    assert "sales" not in toml_plugins(tmp_path)
    now = enabled(tmp_path)
    assert "sales" not in now and {"customers", "service", "example"} <= now


def test_enable_adds_missing_requirements_with_a_message_and_migrates(tmp_path):
    off = run_crm(tmp_path, "plugins", "disable", "customers", *CUSTOMER_DEPENDENTS)
    assert off.returncode == 0, off.stderr
    result = run_crm(tmp_path, "plugins", "enable", "sales")
    assert result.returncode == 0, result.stderr
    assert "Also enabling 'customers', which 'sales' requires." in result.stdout
    assert {"customers", "sales"} <= set(toml_plugins(tmp_path))
    assert "Database is up to date" in result.stdout
    with sqlite3.connect(tmp_path / "crm.sqlite") as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert "customers_customer" in tables
    assert {"customers", "sales"} <= enabled(tmp_path)


def test_disabling_keeps_the_plugins_tables_and_rows(tmp_path):
    assert run_crm(tmp_path, "db", "upgrade").returncode == 0
    assert run_crm(tmp_path, "seed", "--size", "0", "--customers", "3").returncode == 0
    result = run_crm(tmp_path, "plugins", "disable", "customers", *CUSTOMER_DEPENDENTS)
    assert result.returncode == 0, result.stderr
    assert "kept" in result.stdout
    with sqlite3.connect(tmp_path / "crm.sqlite") as db:
        assert db.execute("SELECT count(*) FROM customers_customer").fetchone()[0] == 3


def test_unknown_plugin_is_refused_by_enable_with_exit_2(tmp_path):
    assert_refused(run_crm(tmp_path, "plugins", "enable", "custmers"), "'custmers'", "unknown")


def test_the_environment_wins_over_crm_toml(tmp_path):
    assert run_crm(tmp_path, "plugins", "disable", "sales").returncode == 0
    assert "sales" in enabled(tmp_path, CRM_PLUGINS="customers,sales")
    assert "sales" not in enabled(tmp_path)


def test_enabling_a_broken_plugin_is_refused_naming_it_and_the_reason(tmp_path):
    site = tmp_path / "site"
    install_plugin(site, "broken", header="raise RuntimeError('boom at import')\n")
    assert run_crm(tmp_path, "plugins", "disable", "sales", site=site).returncode == 0
    result = run_crm(tmp_path, "plugins", "enable", "broken", site=site)
    assert_refused(result, "'broken'", "boom at import")


# -- broken third-party plugins --------------------------------------------------------------

def test_broken_plugin_is_disabled_and_reported_when_all_installed_are_enabled(tmp_path):
    site = tmp_path / "site"
    install_plugin(site, "broken", header="raise RuntimeError('boom at import')\n")
    install_plugin(site, "needs_broken", requires=("broken",))
    upgrade = run_crm(tmp_path, "db", "upgrade", site=site)
    assert upgrade.returncode == 0, upgrade.stderr
    assert "plugin 'broken' is broken and was disabled" in upgrade.stderr
    assert "boom at import" in upgrade.stderr
    result = run_crm(tmp_path, "plugins", "list", "--json", site=site)
    assert result.returncode == 0, result.stderr
    rows = plugin_rows(result)
    assert rows["broken"]["state"] == "broken" and not rows["broken"]["enabled"]
    assert "boom at import" in rows["broken"]["error"]
    assert rows["needs_broken"]["state"] == "broken"
    assert "'broken'" in rows["needs_broken"]["error"]
    for name in BUILT_INS:
        assert rows[name]["state"] == "enabled" and rows[name]["error"] is None


def test_plugin_failing_validation_is_disabled_and_the_rest_start(tmp_path):
    site = tmp_path / "site"
    install_plugin(site, "typo", body="""
        @hookimpl
        def crm_menu_itemz():
            return []
    """)
    result = run_crm(tmp_path, "plugins", "list", "--json", site=site)
    assert result.returncode == 0, result.stderr
    rows = plugin_rows(result)
    assert rows["typo"]["state"] == "broken"
    assert "crm_menu_itemz" in rows["typo"]["error"]
    assert rows["customers"]["state"] == "enabled"


def test_plugins_list_names_tasks_and_beat_entries(tmp_path):
    result = run_crm(tmp_path, "plugins", "list", "--json")
    rows = plugin_rows(result)
    customers = rows["customers"]
    assert "customers.refresh_stats" in customers["task_names"]
    assert customers["tasks"] == len(customers["task_names"])
    assert "customers.refresh_stats: customers.refresh_stats" in customers["beat"]
    assert "crm customers" in customers["commands"]
    assert rows["example"]["task_names"] == ["example.export_notes"]
    disabled = run_crm(tmp_path, "plugins", "list", "--json", CRM_PLUGINS="customers")
    example = plugin_rows(disabled)["example"]
    assert (example["state"], example["task_names"], example["error"]) == ("disabled", [], None)
    json.dumps(rows)  # plain JSON all the way down


def test_readyz_and_the_modules_page_name_a_broken_plugin(crm_make_app, crm_install_plugin):
    from crm_core.testing import create_test_user, login
    from tests.core.test_plugin_loading import plugin_source

    crm_install_plugin("broken", "raise RuntimeError('boom at import')\n"
                       + plugin_source("broken"))
    app = crm_make_app(CRM_STRICT=False)
    client = app.test_client()
    body = client.get("/readyz").get_json()
    assert body["plugins"] == {"broken": ["broken"]}
    assert body["status"] == "ready"
    login(client, create_test_user(app, "root", superuser=True))
    page = client.get("/admin/modules/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="module-broken"' in html and "boom at import" in html
