"""An import follows the importer's data scope: its check names no customer the importer
cannot see, its owner sets the department, and undo touches only what the undoer can still
see and nobody changed since, moving created customers to the trash."""

from __future__ import annotations

import csv

import pytest
from customers_testing import add_user, app_session, client_for, csrf
from sqlalchemy import select
from test_import_data import write_csv
from test_import_web import BASE, run_job

from crm_core.imports.files import import_folder
from crm_core.imports.models import TabularImport as CustomerImport
from crm_core.imports.run import run_import
from crm_core.imports.service import create_import, get_spec
from crm_core.rbac.departments import create_department
from plugins.customers import services
from plugins.customers.models import ContactRecord, Customer

HEADERS = ["客户名称", "客户编码", "手机", "行业"]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def customers_app(request, crm_make_app):
    """The app with customers, on SQLite and on PostgreSQL."""
    return crm_make_app(plugins=["customers"], database=request.param)


@pytest.fixture
def world(customers_app):
    """East and West departments, a manager of East (department scope, may import), a West
    sales rep, an admin, and a West customer with a code, a phone and a name."""
    app = customers_app
    with app_session(app) as session:
        east = create_department(session, "East").id
        west = create_department(session, "West").id
        session.commit()
        ids = {"east": east, "west": west,
               "importer": add_user(app, session, "east-manager", ["manager"], east),
               "colleague": add_user(app, session, "east-sales", ["sales"], east),
               "westerner": add_user(app, session, "west-sales", ["sales"], west),
               "admin": add_user(app, session, "root", superuser=True)}
        secret = services.create_customer(session, name="西区机密客户有限公司", code="WEST01",
                                          phones=["13911112222"], owner_id=ids["westerner"])
        mine = services.create_customer(session, name="东区自己的客户", code="EAST01",
                                        phones=["13933334444"], owner_id=ids["importer"])
        ids.update(secret=secret.id, mine=mine.id)
    return ids


def import_file(app, path, user_id, *, mode="insert", key=None, dry_run=False):
    """Record and run (or check) an import of ``path`` as ``user_id``; the import's id."""
    with app_session(app) as session:
        spec = get_spec("customers.customer")
        imp = create_import(session, spec, path, user_id=user_id)
        imp.mode, imp.key = mode, key
        session.commit()
        run_import(session, spec, imp, dry_run=dry_run, user_id=user_id)
        return imp.id


def checks(import_id):
    with open(import_folder(import_id) / "checks.csv", encoding="utf-8") as handle:
        return {int(row[0]): row[2] for row in csv.reader(handle)}


def test_the_check_says_only_that_a_key_is_taken_by_a_customer_out_of_sight(
        customers_app, world, tmp_path):
    path = write_csv(tmp_path / "keys.csv", [
        ["新客户甲", "", "13911112222", ""],          # the West customer's phone
        ["新客户乙", "WEST01", "", ""],               # its code
        ["西区机密客户有限公司", "", "", ""],          # its name: a warning only
        ["新客户丙", "", "13933334444", ""],          # the importer's own customer's phone
    ], headers=HEADERS)
    with customers_app.app_context():
        import_id = import_file(customers_app, path, world["importer"], key="phone",
                                dry_run=True)
        found = checks(import_id)
    assert found[2] == "Duplicate: the phone of this row belongs to a customer you cannot see."
    assert found[3] == "Duplicate: the code of this row belongs to a customer you cannot see."
    assert found[4] == "same name as a customer you cannot see"
    assert "already exists" in found[5] and "+8613933334444" in found[5]  # in scope: helpful
    page = client_for(customers_app, world["importer"]).get(
        f"{BASE}/{import_id}").get_data(as_text=True)
    problems = page.split("import-problems", 1)[1].split("import-mapping", 1)[0]
    assert "cannot see" in problems
    for secret in ("WEST01", "+8613911112222", f"customer {world['secret']}"):
        assert secret not in problems


def test_skip_and_upsert_fail_a_row_whose_key_is_out_of_sight(customers_app, world, tmp_path):
    path = write_csv(tmp_path / "upsert.csv", [["改名", "WEST01", "", "软件"]],
                     headers=HEADERS)
    with customers_app.app_context():
        for mode in ("skip", "upsert"):
            import_id = import_file(customers_app, path, world["importer"], mode=mode,
                                    key="code")
            with app_session(customers_app) as session:
                imp = session.get(CustomerImport, import_id)
                assert (imp.failed, imp.skipped, imp.updated) == (1, 0, 0), mode
        assert "cannot see" in checks(import_id)[2]
    with app_session(customers_app) as session:
        assert session.get(Customer, world["secret"]).name == "西区机密客户有限公司"


def test_the_department_follows_the_owner_the_import_sets(customers_app, world, tmp_path):
    path = write_csv(tmp_path / "owners.csv", [["西区的新客户", "", "", "west-sales"],
                                               ["东区的新客户", "", "", ""]],
                     headers=["客户名称", "客户编码", "手机", "负责人"])
    with customers_app.app_context():
        import_file(customers_app, path, world["importer"])
    with app_session(customers_app) as session:
        west = session.scalar(select(Customer).where(Customer.name == "西区的新客户"))
        east = session.scalar(select(Customer).where(Customer.name == "东区的新客户"))
        assert (west.owner_id, west.department_id) == (world["westerner"], world["west"])
        assert (east.owner_id, east.department_id) == (world["importer"], world["east"])


def test_undo_leaves_what_the_undoer_cannot_see_or_others_changed_and_trashes_the_rest(
        customers_app, world, tmp_path):
    path = write_csv(tmp_path / "undo.csv", [
        ["交给西区的客户", "U1", "", ""],     # reassigned to West, who adds a contact record
        ["没人动过的客户", "U2", "", ""],     # untouched: to the trash
        ["后来改过的客户", "U3", "", ""],     # edited after the import: left alone
        ["东区自己的客户", "EAST01", "", "软件"],  # an upsert of the importer's own customer
    ], headers=HEADERS)
    with customers_app.app_context():
        import_id = import_file(customers_app, path, world["importer"], mode="upsert",
                                key="code")
    with app_session(customers_app) as session:
        ids = {customer.code: customer.id for customer in session.scalars(
            select(Customer).where(Customer.import_id == import_id))}
        services.update_customer(session, ids["U1"], {"owner_id": world["westerner"]})
        services.add_contact_record(session, ids["U1"], kind="call", content="西区的拜访记录",
                                    user_id=world["westerner"])
        services.update_customer(session, ids["U3"], {"industry": "后来改的"})
    importer = client_for(customers_app, world["importer"])
    assert importer.get(f"/customers/{ids['U1']}").status_code == 404
    confirm = importer.get(f"{BASE}/{import_id}/undo")
    assert "go to the trash" in confirm.get_data(as_text=True)
    importer.post(f"{BASE}/{import_id}/undo",
                  data={"csrf_token": csrf(confirm.get_data(as_text=True))})
    run_job(customers_app, import_id)
    page = importer.get(f"{BASE}/{import_id}").get_data(as_text=True)
    assert "Undone: 1 customers moved to the trash, 1 given their earlier values back, " \
           "2 left alone" in page
    skipped = page.split("import-undo-skipped", 1)[1]
    assert "a customer you cannot see" in skipped and "交给西区的客户" not in skipped
    assert "后来改过的客户" in skipped and "Changed since the import" in skipped
    with app_session(customers_app) as session:
        handed = session.get(Customer, ids["U1"])
        assert handed.deleted_at is None and handed.owner_id == world["westerner"]
        assert session.scalar(select(ContactRecord.content).where(
            ContactRecord.customer_id == ids["U1"])) == "西区的拜访记录"
        assert session.get(Customer, ids["U2"]).deleted_at is not None  # trash, not gone
        assert session.get(Customer, ids["U3"]).deleted_at is None
        assert session.get(Customer, world["mine"]).industry == ""  # put back
    # From the trash it comes back like any other customer.
    with app_session(customers_app) as session:
        services.restore_customer(session, ids["U2"])


def test_undo_puts_back_only_the_fields_nobody_changed_since(customers_app, world, tmp_path):
    with app_session(customers_app) as session:
        services.update_customer(session, world["mine"], {"industry": "旧行业",
                                                          "province": "旧省份"})
    path = write_csv(tmp_path / "fields.csv",
                     [["东区自己的客户", "EAST01", "", "新行业", "新省份"]],
                     headers=[*HEADERS, "省份"])
    with customers_app.app_context():
        import_id = import_file(customers_app, path, world["importer"], mode="upsert",
                                key="code")
    with app_session(customers_app) as session:
        services.update_customer(session, world["mine"], {"province": "同事改的省份"})
    importer = client_for(customers_app, world["importer"])
    confirm = importer.get(f"{BASE}/{import_id}/undo").get_data(as_text=True)
    importer.post(f"{BASE}/{import_id}/undo", data={"csrf_token": csrf(confirm)})
    run_job(customers_app, import_id)
    with app_session(customers_app) as session:
        customer = session.get(Customer, world["mine"])
        assert (customer.industry, customer.province) == ("旧行业", "同事改的省份")
    page = importer.get(f"{BASE}/{import_id}").get_data(as_text=True)
    assert "Changed since the import, left as it is: province." in page


def test_an_upsert_without_an_owner_column_keeps_each_customers_owner(customers_app, world,
                                                                       tmp_path):
    with app_session(customers_app) as session:
        colleagues = services.create_customer(session, name="同事的客户", code="COL01",
                                              owner_id=world["colleague"]).id
    path = write_csv(tmp_path / "industry.csv", [["同事的客户", "COL01", "", "制造"],
                                                 ["全新的客户", "NEW01", "", "制造"]],
                     headers=HEADERS)
    with customers_app.app_context():
        import_file(customers_app, path, world["importer"], mode="upsert", key="code")
    with app_session(customers_app) as session:
        changed = session.get(Customer, colleagues)
        assert changed.industry == "制造" and changed.owner_id == world["colleague"]
        new = session.scalar(select(Customer).where(Customer.code == "NEW01"))
        assert (new.owner_id, new.department_id) == (world["importer"], world["east"])


def test_words_kept_in_the_notes_of_a_new_customer_survive_its_default_owner(customers_app,
                                                                              world, tmp_path):
    # A user's import gives new customers the importer as owner: the notes the row's own
    # cleaning made (words after a phone, an owner who is no user here) must stay.
    path = tmp_path / "notes.csv"
    path.write_text("客户名称,电话,负责人\n"
                    "甲公司,13912345678（微信同号）,李雷\n"
                    "乙公司,13812345678,east-sales\n", encoding="utf-8")
    import_file(customers_app, path, world["importer"])
    with app_session(customers_app) as session:
        found = {name: (owner, notes) for name, owner, notes in session.execute(
            select(Customer.name, Customer.owner_id, Customer.notes)
            .where(Customer.name.in_(["甲公司", "乙公司"])))}
    assert found == {"甲公司": (world["importer"], "13912345678：微信同号\n负责人：李雷"),
                     "乙公司": (world["colleague"], "")}
