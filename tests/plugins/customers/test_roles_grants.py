"""Roles fit real teams: a sales rep imports their own leads (the new customers are theirs; a
key of a customer they cannot see fails the row without naming it), an existing install's
sales role gains the grant on upgrade, export stays a manager's and the bulk menu says so,
and the grants table in docs/customers.md is the RoleSpec declarations.

Run this file as a script to print the table (paste it between the markers in the docs):
``.venv/bin/python tests/plugins/customers/test_roles_grants.py``.
"""

from __future__ import annotations

import fnmatch
import html
import re
from pathlib import Path

import pytest
from customers_testing import add_user, app_session, client_for
from sqlalchemy import create_engine, select, text
from test_import_data import write_csv
from test_import_web import BASE, mapping_data, run_job, token, upload

from crm_core.imports.models import TabularImport
from crm_core.rbac.departments import create_department
from crm_core.testing import invoke_cli
from plugins.customers import services
from plugins.customers.models import Customer

DOCS = Path(__file__).resolve().parents[3] / "docs" / "customers.md"
BEGIN, END = "<!-- roles table: begin -->", "<!-- roles table: end -->"
HEADERS = ["客户名称", "客户编码", "手机", "行业"]


def grants_table() -> str:
    """The customers permissions each built-in role holds by default, as a Markdown table:
    the kernel's roles (with their data scope) merged with the plugin's ``crm_roles``."""
    from crm_core.rbac.service import KERNEL_ROLES, merged_roles
    from plugins.customers import plugin

    roles = merged_roles([("core", spec) for spec in KERNEL_ROLES]
                         + [("customers", spec) for spec in plugin.crm_roles()])
    names = list(roles)
    lines = ["| Permission | " + " | ".join(f"`{name}`" for name in names) + " |",
             "|---|" + "---|" * len(names)]
    scope = [roles[name].scopes.get("customers.customer", roles[name].scopes.get("*", "—"))
             for name in names]
    lines.append("| data scope (`customers.customer`) | " + " | ".join(scope) + " |")
    for permission in plugin.crm_permissions():
        held = ["✓" if any(fnmatch.fnmatchcase(permission.name, pattern)
                           for pattern in roles[name].permissions) else "—"
                for name in names]
        lines.append(f"| `{permission.name}` ({permission.label}) | " + " | ".join(held)
                     + " |")
    return "\n".join(lines)


def test_the_docs_grants_table_is_the_role_declarations():
    docs = DOCS.read_text(encoding="utf-8")
    assert BEGIN in docs and END in docs, "docs/customers.md lost the roles table markers"
    shown = docs.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert shown == grants_table(), (
        "docs/customers.md's roles table is stale; replace it with:\n" + grants_table())
    sales = next(line for line in shown.splitlines() if "customers.customer.import" in line)
    export = next(line for line in shown.splitlines() if "customers.customer.export" in line)
    assert sales.split(" | ")[3] == "✓" and export.split(" | ")[3] == "—"  # the sales column


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def customers_app(request, crm_make_app):
    """The app with customers, on SQLite and on PostgreSQL."""
    return crm_make_app(plugins=["customers"], database=request.param)


@pytest.fixture
def team(customers_app):
    """East: two sales reps (Sally, Sam), a manager and a viewer; West: a sales rep. Sam and
    the West rep each own a customer with a code and a phone."""
    app = customers_app
    with app_session(app) as session:
        east = create_department(session, "East").id
        west = create_department(session, "West").id
        session.commit()
        ids = {"east": east, "west": west,
               "sally": add_user(app, session, "sally", ["sales"], east),
               "sam": add_user(app, session, "sam", ["sales"], east),
               "mia": add_user(app, session, "mia", ["manager"], east),
               "vera": add_user(app, session, "vera", ["viewer"], east),
               "wes": add_user(app, session, "wes", ["sales"], west)}
        ids["sams"] = services.create_customer(session, name="同事的客户有限公司", code="SAM01",
                                               phones=["13911110001"], owner_id=ids["sam"]).id
        ids["wests"] = services.create_customer(session, name="西区的客户有限公司",
                                                code="WEST01", phones=["13911110002"],
                                                owner_id=ids["wes"]).id
    return ids


def web_import(app, client, path, **mapping):
    """Upload, check and run ``path`` through the wizard as ``client``; the import's id and
    the result page."""
    answer = upload(client, path.read_bytes(), path.name)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    import_id = int(answer.headers["Location"].rsplit("/", 1)[1])
    run_job(app, import_id)
    assert client.post(f"{BASE}/{import_id}",
                       data=mapping_data(client, import_id, **mapping)).status_code == 302
    run_job(app, import_id)
    client.post(f"{BASE}/{import_id}/run",
                data={"csrf_token": token(client.get(f"{BASE}/{import_id}"))})
    run_job(app, import_id)
    return import_id, client.get(f"{BASE}/{import_id}").get_data(as_text=True)


def test_a_sales_rep_sees_import_in_the_menu_and_imports_customers_that_are_theirs(
        customers_app, team, tmp_path):
    sally = client_for(customers_app, team["sally"])
    home = sally.get("/customers/").get_data(as_text=True)
    assert 'href="/customers/imports"' in home  # the sidebar's Import entry
    assert sally.get(f"{BASE}/new").status_code == 200
    path = write_csv(tmp_path / "leads.csv", [["线索甲科技有限公司", "L001", "13800001111", "软件"],
                                              ["线索乙贸易有限公司", "L002", "", "零售"]],
                     headers=HEADERS)
    import_id, result = web_import(customers_app, sally, path)
    assert 'data-count="created">2<' in result
    with app_session(customers_app) as session:
        created = session.scalars(select(Customer).where(Customer.import_id == import_id)).all()
        assert {(c.code, c.owner_id, c.department_id) for c in created} == {
            ("L001", team["sally"], team["east"]), ("L002", team["sally"], team["east"])}
    listed = sally.get("/customers/").get_data(as_text=True)
    assert "线索甲科技有限公司" in listed and "同事的客户有限公司" not in listed


def test_a_reps_key_matching_a_customer_out_of_their_scope_fails_without_naming_it(
        customers_app, team, tmp_path):
    sally = client_for(customers_app, team["sally"])
    path = write_csv(tmp_path / "keys.csv", [["改名甲", "SAM01", "", "软件"],    # a colleague's
                                             ["改名乙", "WEST01", "", "软件"]],  # West's
                     headers=HEADERS)
    for mode in ("upsert", "skip"):
        import_id, result = web_import(customers_app, sally, path, mode=mode, key="code")
        assert 'data-count="failed">2<' in result, mode
        assert "cannot see" in result
        problems = html.unescape(result.split("import-problems", 1)[-1])
        for secret in ("SAM01", "WEST01", "同事的客户有限公司", "西区的客户有限公司",
                       "13911110001", "13911110002"):
            assert secret not in problems, (mode, secret)
        with app_session(customers_app) as session:
            imp = session.get(TabularImport, import_id)
            assert (imp.created, imp.updated, imp.skipped) == (0, 0, 0), mode
    with app_session(customers_app) as session:
        assert session.get(Customer, team["sams"]).name == "同事的客户有限公司"
        assert session.get(Customer, team["wests"]).name == "西区的客户有限公司"


def test_a_viewer_still_may_not_import(customers_app, team):
    vera = client_for(customers_app, team["vera"])
    assert vera.get(f"{BASE}/").status_code == 403
    assert vera.get(f"{BASE}/new").status_code == 403
    assert 'href="/customers/imports"' not in vera.get("/customers/").get_data(as_text=True)


def bulk_menu(page: str) -> str:
    return page.split('id="bulk-form"', 1)[1].split("</form>", 1)[0]


def test_the_bulk_menu_tells_a_sales_rep_to_ask_a_manager_for_an_export(customers_app, team):
    with app_session(customers_app) as session:
        services.create_customer(session, name="萨莉的客户有限公司", owner_id=team["sally"])
    sally = bulk_menu(client_for(customers_app, team["sally"]).get("/customers/")
                      .get_data(as_text=True))
    assert '<option value="export"' not in sally
    assert re.search(r'<option value="" disabled data-missing="export">Export: ask a manager<',
                     sally)
    assert "Exporting customers is a manager's permission" in html.unescape(sally)
    assert 'aria-describedby="bulk-missing"' in sally
    mia = bulk_menu(client_for(customers_app, team["mia"]).get("/customers/")
                    .get_data(as_text=True))
    assert '<option value="export">Export</option>' in mia
    assert "ask a manager" not in mia and "bulk-missing" not in mia
    # the menu's promise holds: the export itself is refused to the rep
    client = client_for(customers_app, team["sally"])
    page = client.get("/customers/").get_data(as_text=True)
    refused = client.post("/customers/bulk", data={"csrf_token": token_of(page),
                                                    "action": "export", "scope": "all"})
    assert refused.status_code == 403


def token_of(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)[1]


def grants_of(url: str, role: str) -> set[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return set(connection.scalars(text(
                "SELECT p.name FROM core_permission p "
                "JOIN core_role_permission g ON g.permission_id = p.id "
                "JOIN core_role r ON r.id = g.role_id WHERE r.name = :role"), {"role": role}))
    finally:
        engine.dispose()


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgresql",
                                                             marks=pytest.mark.postgres)])
def test_an_existing_installs_sales_role_gains_import_on_upgrade(crm_make_app, database):
    app = crm_make_app(plugins=["customers"], database=database)
    url = app.config["CRM_DATABASE_URL"]
    assert invoke_cli(app, "sync-permissions").exit_code == 0  # an installed system's roles
    engine = create_engine(url)
    with engine.begin() as connection:  # the database as the earlier release left it
        connection.execute(text(
            "DELETE FROM core_role_permission WHERE role_id = (SELECT id FROM core_role "
            "WHERE name = 'sales') AND permission_id = (SELECT id FROM core_permission "
            "WHERE name = 'customers.customer.import')"))
    engine.dispose()
    assert {"customers.customer.view", "customers.customer.edit"} <= grants_of(url, "sales")
    assert "customers.customer.import" not in grants_of(url, "sales")
    # the sync alone grants only permissions it sees for the first time
    synced = invoke_cli(app, "sync-permissions")
    assert synced.exit_code == 0, synced.output
    assert "0 grants" in synced.output
    assert "customers.customer.import" not in grants_of(url, "sales")
    assert invoke_cli(app, "db", "downgrade", "customers@3b9f1d7c2e84").exit_code == 0
    upgraded = invoke_cli(app, "db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    assert "customers.customer.import" in grants_of(url, "sales")
    assert "customers.customer.export" not in grants_of(url, "sales")
    assert "customers.customer.import" not in grants_of(url, "viewer")


if __name__ == "__main__":
    print(grants_table())


def test_a_rep_imports_only_customers_they_own_and_a_manager_may_assign_them(
        customers_app, team, tmp_path):
    """A rep who sees only their own customers cannot hand imported rows to a colleague
    (they would vanish from the rep's sight as they are written); a manager may."""
    headers = ["客户名称", "客户编码", "负责人"]
    rows = [["交给同事有限公司", "OWN01", "sam"], ["写自己名字有限公司", "OWN02", "sally"],
            ["不写负责人有限公司", "OWN03", ""]]
    path = write_csv(tmp_path / "owners.csv", rows, headers=headers)
    sally = client_for(customers_app, team["sally"])
    import_id, result = web_import(customers_app, sally, path)
    assert 'data-count="created">2<' in result and 'data-count="failed">1<' in result
    assert "You may import only customers you own" in html.unescape(result)
    with app_session(customers_app) as session:
        owners = dict(session.execute(select(Customer.code, Customer.owner_id)
                                      .where(Customer.import_id == import_id)).all())
    assert owners == {"OWN02": team["sally"], "OWN03": team["sally"]}

    mia = client_for(customers_app, team["mia"])  # a manager: the department's customers
    manager_rows = write_csv(tmp_path / "manager.csv", [["经理分配有限公司", "OWN04", "sam"]],
                             headers=headers)
    import_id, result = web_import(customers_app, mia, manager_rows)
    assert 'data-count="created">1<' in result
    with app_session(customers_app) as session:
        assert session.scalar(select(Customer.owner_id).where(Customer.code == "OWN04")) \
            == team["sam"]
