"""The admin pages and ``crm users``: users, roles with their permission matrix, departments."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlalchemy import select

from crm_core.auth.models import User
from crm_core.db import get_session
from crm_core.errors import DomainError
from crm_core.rbac.departments import create_department
from crm_core.rbac.models import Department, Role
from crm_core.rbac.service import create_role
from crm_core.rbac.users import create_account
from crm_core.testing import app_environment, invoke_cli, login

pytestmark = pytest.mark.crm_plugins("example")
PASSWORD = "Kettle-Drum-42x"


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def post_form(client, url: str, data: dict) -> object:
    """Open the page at ``url`` and post its form with ``data`` (and its CSRF token)."""
    page = client.get(url)
    assert page.status_code == 200, f"GET {url}: {page.status_code}"
    return client.post(url, data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                  **data})


def sign_in(app, username: str, password: str):
    client = app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"csrf_token": token, "username": username,
                                           "password": password})
    return client, response


def row(app, model, **where):
    with app.app_context():
        session = get_session()
        return session.scalar(select(model).filter_by(**where))


def role_id(app, name: str) -> int:
    return row(app, Role, name=name).id


def department_id(app, name: str) -> int:
    return row(app, Department, name=name).id


def path_of(app, name: str) -> str:
    return row(app, Department, name=name).path


def add_user(app, name: str, roles: list[str], department: str | None = None) -> User:
    with app.app_context():
        session = get_session()
        dept = session.scalar(select(Department.id).where(Department.name == department)) \
            if department else None
        user = create_account(session, name, PASSWORD, roles=roles, department_id=dept)
        session.commit()
        return user


# -- users ---------------------------------------------------------------------------------

def test_a_user_created_on_the_admin_page_can_sign_in_and_work_with_their_role(crm_app,
                                                                               admin_client):
    created = post_form(admin_client, "/admin/departments/new", {"name": "Sales", "parent": ""})
    assert created.status_code == 302
    response = post_form(admin_client, "/admin/users/new", {
        "username": "sam", "display_name": "Sam Rep", "email": "sam@example.com",
        "department": str(department_id(crm_app, "Sales")), "roles": ["sales"],
        "password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    listing = admin_client.get("/admin/users").get_data(as_text=True)
    assert "sam" in listing and "Sales" in listing and "Sales rep" in listing

    sam, signed_in = sign_in(crm_app, "sam", PASSWORD)
    assert signed_in.status_code == 302
    assert sam.get("/example/notes").status_code == 200  # sales may view and add notes
    assert sam.get("/admin/users").status_code == 403
    note = post_form(sam, "/example/notes", {"title": "First call"})
    assert note.status_code == 302
    saved = row(crm_app, User, username="sam")
    assert (saved.display_name, saved.email) == ("Sam Rep", "sam@example.com")


def test_a_weak_password_or_a_taken_name_is_shown_on_its_field(crm_app, admin_client):
    weak = post_form(admin_client, "/admin/users/new", {
        "username": "pat", "password": "short", "confirm": "short", "department": ""})
    html = weak.get_data(as_text=True)
    assert weak.status_code == 400
    assert re.search(r'name="password"[^>]*is-invalid|is-invalid[^>]*name="password"', html)
    assert "at least" in html
    assert row(crm_app, User, username="pat") is None

    taken = post_form(admin_client, "/admin/users/new", {
        "username": "ADMIN", "password": PASSWORD, "confirm": PASSWORD, "department": ""})
    assert taken.status_code == 400
    assert "already taken" in taken.get_data(as_text=True)


def test_editing_a_user_changes_their_roles_and_department(crm_app, admin_client):
    with crm_app.app_context():
        session = get_session()
        create_department(session, "Service desk")
        session.commit()
    user = add_user(crm_app, "eve", ["viewer"])
    response = post_form(admin_client, f"/admin/users/{user.id}", {
        "display_name": "Eve", "email": "", "active": "y", "roles": ["service", "sales"],
        "department": str(department_id(crm_app, "Service desk"))})
    assert response.status_code == 302, response.get_data(as_text=True)
    with crm_app.app_context():
        from crm_core.rbac.service import user_role_names

        assert user_role_names(get_session(), user.id) == ["sales", "service"]
    assert row(crm_app, User, username="eve").department_id == department_id(crm_app,
                                                                             "Service desk")


def listed_names(html: str) -> list[str]:
    return re.findall(r'<td><a href="/admin/users/\d+">([^<]+)</a>', html)


def test_users_list_finds_by_any_part_of_the_name_and_pages_by_keyset(crm_app, admin_client):
    with crm_app.app_context():
        session = get_session()
        session.add_all(User(username=f"user{n:02d}", display_name=f"Person {n}",
                             password_hash="-") for n in range(60))
        session.add(User(username="zhang.wei", display_name="张伟", password_hash="-"))
        session.commit()
    first = admin_client.get("/admin/users").get_data(as_text=True)
    names = listed_names(first)
    assert len(names) == 50 and names == sorted(names)
    after = re.search(r'href="(/admin/users\?after=[^"]+)"', first)[1].replace("&amp;", "&")
    second = listed_names(admin_client.get(after).get_data(as_text=True))
    assert len(second) == 12 and not set(second) & set(names)  # 60 + admin + zhang.wei
    found = admin_client.get("/admin/users?q=张").get_data(as_text=True)
    assert listed_names(found) == ["zhang.wei"]
    assert "No user matches" in admin_client.get("/admin/users?q=nobody").get_data(as_text=True)


def test_disabling_asks_first_then_the_user_is_signed_out(crm_app, admin_client):
    user = add_user(crm_app, "dan", ["sales"])
    dan = login(crm_app.test_client(), user)
    assert dan.get("/example/notes").status_code == 200
    confirm = admin_client.get(f"/admin/users/{user.id}/disable")
    assert confirm.status_code == 200 and "no longer be able to sign in" in confirm.get_data(
        as_text=True)
    assert row(crm_app, User, username="dan").is_active  # asking changed nothing
    done = post_form(admin_client, f"/admin/users/{user.id}/disable", {})
    assert done.status_code == 302
    assert row(crm_app, User, username="dan").is_active is False
    assert dan.get("/example/notes").status_code == 302  # back to the sign-in page
    assert sign_in(crm_app, "dan", PASSWORD)[1].status_code != 302


def test_an_admin_cannot_disable_their_own_account(crm_app, admin_client, admin_user):
    refused = post_form(admin_client, f"/admin/users/{admin_user.id}/disable", {})
    assert refused.status_code == 422
    assert "your own account" in refused.get_data(as_text=True)
    assert row(crm_app, User, username="admin").is_active


def test_an_admin_sets_a_new_password_that_obeys_the_policy(crm_app, admin_client):
    user = add_user(crm_app, "fay", ["viewer"])
    weak = post_form(admin_client, f"/admin/users/{user.id}/password",
                     {"password": "fay", "confirm": "fay"})
    assert weak.status_code == 400 and "invalid-feedback" in weak.get_data(as_text=True)
    differ = post_form(admin_client, f"/admin/users/{user.id}/password",
                       {"password": "New-Secret-581", "confirm": "New-Secret-582"})
    assert differ.status_code == 400 and "differ" in differ.get_data(as_text=True)
    done = post_form(admin_client, f"/admin/users/{user.id}/password",
                     {"password": "New-Secret-581", "confirm": "New-Secret-581"})
    assert done.status_code == 302
    assert sign_in(crm_app, "fay", "New-Secret-581")[1].status_code == 302
    assert sign_in(crm_app, "fay", PASSWORD)[1].status_code != 302


# -- roles ---------------------------------------------------------------------------------

def role_form(app, name: str, permissions: list[str], **scopes: str) -> dict:
    role = row(app, Role, name=name)
    data = {"label": role.label, "description": role.description, "permissions": permissions,
            "scope_0": scopes.get("default", "own"), "scope_1": scopes.get("note", "")}
    return data


def test_a_permission_matrix_change_takes_effect_on_the_next_request(crm_app, admin_client):
    viewer = login(crm_app.test_client(), add_user(crm_app, "val", ["viewer"]))
    assert viewer.get("/example/notes").status_code == 200
    page = admin_client.get(f"/admin/roles/{role_id(crm_app, 'viewer')}").get_data(as_text=True)
    assert 'value="example.note.view"' in page and "Example notes" in page  # grouped by plugin

    revoked = post_form(admin_client, f"/admin/roles/{role_id(crm_app, 'viewer')}",
                        role_form(crm_app, "viewer", ["core.job.view"], default="department"))
    assert revoked.status_code == 302, revoked.get_data(as_text=True)
    assert viewer.get("/example/notes").status_code == 403

    granted = post_form(admin_client, f"/admin/roles/{role_id(crm_app, 'viewer')}",
                        role_form(crm_app, "viewer", ["core.job.view", "example.note.view"],
                                  default="department"))
    assert granted.status_code == 302
    assert viewer.get("/example/notes").status_code == 200


def test_a_custom_role_gets_permissions_and_a_scope_per_kind(crm_app, admin_client):
    created = post_form(admin_client, "/admin/roles/new", {
        "name": "team_lead", "label": "Team lead", "description": "Leads a team"})
    assert created.status_code == 302
    edit_url = created.headers["Location"]
    saved = post_form(admin_client, edit_url, {
        "label": "Team lead", "description": "Leads a team",
        "permissions": ["example.note.view"], "scope_0": "own", "scope_1": "department"})
    assert saved.status_code == 302
    lead = add_user(crm_app, "lee", ["team_lead"])
    with crm_app.app_context():
        from crm_core.rbac.scope import user_scope
        from crm_core.rbac.service import role_scopes

        session = get_session()
        assert role_scopes(session, role_id(crm_app, "team_lead")) == {
            "*": "own", "example.note": "department"}
        assert user_scope(session.get(User, lead.id), "example.note") == "department"
    assert login(crm_app.test_client(), lead).get("/example/notes").status_code == 200


def test_a_role_name_must_be_new_and_well_formed(admin_client):
    bad = post_form(admin_client, "/admin/roles/new", {"name": "Has Space", "label": "X"})
    assert bad.status_code == 400 and "lower-case" in bad.get_data(as_text=True)
    taken = post_form(admin_client, "/admin/roles/new", {"name": "sales", "label": "X"})
    assert taken.status_code == 400 and "already taken" in taken.get_data(as_text=True)


def test_a_builtin_role_cannot_be_deleted(crm_app, admin_client):
    sales = role_id(crm_app, "sales")
    assert f"/admin/roles/{sales}/delete" not in admin_client.get("/admin/roles").get_data(
        as_text=True)
    refused = post_form(admin_client, f"/admin/roles/{sales}/delete", {})
    assert refused.status_code == 422
    assert "built-in role" in refused.get_data(as_text=True)
    assert row(crm_app, Role, name="sales") is not None


def test_a_custom_role_is_deleted_only_once_nobody_holds_it(crm_app, admin_client):
    with crm_app.app_context():
        session = get_session()
        create_role(session, "temp", "Temporary")
        session.commit()
    holder = add_user(crm_app, "tim", ["temp", "viewer"])
    url = f"/admin/roles/{role_id(crm_app, 'temp')}/delete"
    refused = post_form(admin_client, url, {})
    assert refused.status_code == 422 and "another role first" in refused.get_data(as_text=True)
    moved = post_form(admin_client, f"/admin/users/{holder.id}", {
        "display_name": "Tim", "active": "y", "roles": ["viewer"], "department": ""})
    assert moved.status_code == 302
    assert post_form(admin_client, url, {}).status_code == 302
    assert row(crm_app, Role, name="temp") is None


# -- departments ---------------------------------------------------------------------------

def make_tree(app, client) -> dict[str, int]:
    """A > B > C, and D at the top, made through the pages."""
    ids: dict[str, int] = {}
    for name, parent in [("A", None), ("B", "A"), ("C", "B"), ("D", None)]:
        response = post_form(client, "/admin/departments/new",
                             {"name": name, "parent": str(ids[parent]) if parent else ""})
        assert response.status_code == 302, response.get_data(as_text=True)
        ids[name] = department_id(app, name)
    return ids


def test_moving_a_department_keeps_the_paths_of_its_whole_subtree(crm_app, admin_client):
    ids = make_tree(crm_app, admin_client)
    assert path_of(crm_app, "C") == f"/{ids['A']}/{ids['B']}/{ids['C']}/"
    tree = admin_client.get("/admin/departments").get_data(as_text=True)
    assert tree.index(">A<") < tree.index(">B<") < tree.index(">C<")
    moved = post_form(admin_client, f"/admin/departments/{ids['B']}",
                      {"name": "B2", "parent": str(ids["D"])})
    assert moved.status_code == 302
    assert path_of(crm_app, "B2") == f"/{ids['D']}/{ids['B']}/"
    assert path_of(crm_app, "C") == f"/{ids['D']}/{ids['B']}/{ids['C']}/"
    assert path_of(crm_app, "A") == f"/{ids['A']}/"
    top = post_form(admin_client, f"/admin/departments/{ids['B']}", {"name": "B2", "parent": ""})
    assert top.status_code == 302
    assert path_of(crm_app, "C") == f"/{ids['B']}/{ids['C']}/"


def test_moving_a_department_under_its_own_subtree_is_refused(crm_app, admin_client):
    ids = make_tree(crm_app, admin_client)
    with crm_app.app_context():
        from crm_core.rbac.departments import move_department

        session = get_session()
        with pytest.raises(Exception, match="under itself"):
            move_department(session, ids["A"], ids["C"])
        session.rollback()
    # the form does not even offer the department's own subtree as a parent
    page = admin_client.get(f"/admin/departments/{ids['A']}").get_data(as_text=True)
    assert f'value="{ids["C"]}"' not in page and f'value="{ids["D"]}"' in page
    refused = admin_client.post(f"/admin/departments/{ids['A']}", data={
        "csrf_token": csrf_token(page), "name": "A", "parent": str(ids["C"])})
    assert refused.status_code == 400
    assert path_of(crm_app, "C") == f"/{ids['A']}/{ids['B']}/{ids['C']}/"


def test_a_department_is_deleted_only_without_sub_departments_or_users(crm_app, admin_client):
    ids = make_tree(crm_app, admin_client)
    has_children = post_form(admin_client, f"/admin/departments/{ids['B']}/delete", {})
    assert has_children.status_code == 422 and "sub-departments" in has_children.get_data(
        as_text=True)
    add_user(crm_app, "cal", ["viewer"], department="C")
    has_users = post_form(admin_client, f"/admin/departments/{ids['C']}/delete", {})
    assert has_users.status_code == 422 and "users" in has_users.get_data(as_text=True)
    assert post_form(admin_client, f"/admin/departments/{ids['D']}/delete", {}).status_code == 302
    assert row(crm_app, Department, name="D") is None


# -- access --------------------------------------------------------------------------------

def admin_urls(app) -> list[tuple[str, str]]:
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("core_admin."):
            continue
        url = rule.build({arg: 1 for arg in rule.arguments}, append_unknown=False)[1]
        urls += [(method, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return urls


def test_non_admins_get_403_on_every_admin_page(crm_app):
    crm_app.config["WTF_CSRF_ENABLED"] = False
    everyone_else = add_user(crm_app, "staff", ["manager", "sales", "service", "marketing",
                                                "viewer"])
    nobody = add_user(crm_app, "plain", [])
    urls = admin_urls(crm_app)
    assert len(urls) >= 15
    for user in (everyone_else, nobody):
        client = login(crm_app.test_client(), user)
        for method, url in urls:
            status = client.open(url, method=method).status_code
            assert status == 403, f"{method} {url} as {user.username}: {status}"
    home = login(crm_app.test_client(), everyone_else).get("/").get_data(as_text=True)
    assert 'href="/admin/users"' not in home


def test_the_system_menu_shows_the_admin_pages_to_an_admin(admin_client):
    home = admin_client.get("/").get_data(as_text=True)
    for url in ("/admin/users", "/admin/roles", "/admin/departments"):
        assert f'href="{url}"' in home
    assert admin_client.get("/admin/").headers["Location"].endswith("/admin/users")


# -- crm users -----------------------------------------------------------------------------

def test_cli_creates_a_user_with_roles_and_a_department(crm_app):
    with crm_app.app_context():
        session = get_session()
        hq = create_department(session, "HQ")
        create_department(session, "Team A", hq.id)
        session.commit()
    result = invoke_cli(crm_app, "users", "create", "carla", "--password", PASSWORD,
                        "--role", "sales", "--role", "viewer", "--department", "HQ/Team A")
    assert result.exit_code == 0, result.output
    assert "Created user carla" in result.output
    carla, response = sign_in(crm_app, "carla", PASSWORD)
    assert response.status_code == 302
    assert carla.get("/example/notes").status_code == 200
    assert row(crm_app, User, username="carla").department_id == department_id(crm_app,
                                                                               "Team A")
    superuser = invoke_cli(crm_app, "users", "create", "root", "--password", PASSWORD,
                           "--superuser")
    assert superuser.exit_code == 0 and row(crm_app, User, username="root").is_superuser


def test_cli_disables_a_user_and_sets_a_password_asked_twice(crm_app):
    add_user(crm_app, "dora", ["viewer"])
    runner = CliRunner()
    from crm_core.cli import cli

    result = runner.invoke(cli, ["users", "set-password", "dora"],
                           input="Fresh-Password-93\nFresh-Password-93\n",
                           obj=ScriptInfo(create_app=lambda: crm_app))
    assert result.exit_code == 0, result.output
    assert "New password set for dora." in result.output
    assert sign_in(crm_app, "dora", "Fresh-Password-93")[1].status_code == 302

    disabled = invoke_cli(crm_app, "users", "disable", "DORA")
    assert disabled.exit_code == 0 and "dora can no longer sign in" in disabled.output
    assert row(crm_app, User, username="dora").is_active is False
    assert sign_in(crm_app, "dora", "Fresh-Password-93")[1].status_code != 302


@pytest.mark.parametrize("args, message", [
    (["users", "create", "x1", "--password", PASSWORD, "--role", "boss"],
     "Unknown role: boss."),
    (["users", "create", "x2", "--password", PASSWORD, "--department", "Nowhere"],
     "No department named Nowhere."),
    (["users", "create", "x3", "--password", "short"], "at least"),
    (["users", "disable", "ghost"], "There is no user named ghost."),
    (["users", "set-password", "ghost", "--password", PASSWORD],
     "There is no user named ghost."),
])
def test_cli_refusals_are_a_clear_message_and_save_nothing(crm_app, args, message):
    result = invoke_cli(crm_app, *args)  # in-process: ``crm``'s main() would print it
    assert isinstance(result.exception, DomainError), result.output
    assert message in str(result.exception) and "\n" not in str(result.exception)
    assert row(crm_app, User, username=args[2]) is None


def test_the_real_cli_exits_2_with_one_line_for_an_unknown_role(crm_app):
    env = {**os.environ, **app_environment(crm_app)}
    done = subprocess.run([sys.executable, "-m", "crm_core.cli", "users", "create", "zed",
                           "--password", PASSWORD, "--role", "wizard"],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == "crm: error: Unknown role: wizard."
    assert "Traceback" not in done.stderr
    assert row(crm_app, User, username="zed") is None
