"""``crm plugin new``: the package it writes installs with pip, migrates, serves its list and
API, passes its own tests and keeps the kernel's import boundary."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from crm_core.testing import invoke_cli

pytestmark = pytest.mark.crm_plugins("customers")


def run_installed(site: Path, cwd: Path, code: str, env: dict[str, str] | None = None,
                  timeout: int = 600) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a Python whose site folders include ``site`` (as ``pip install`` into
    site-packages would: its ``.pth`` files are read, so the editable install is found)."""
    prelude = f"import site, sys; site.addsitedir({str(site)!r}); "
    return subprocess.run([sys.executable, "-c", prelude + code], cwd=cwd, text=True,
                          capture_output=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """``crm plugin new shelf`` written and ``pip install -e``'d into a folder of its own."""
    from crm_core.app import create_app
    from crm_core.migrate import script_directory
    from crm_core.scaffold import create_plugin

    base = tmp_path_factory.mktemp("scaffold")
    app = create_app({"CRM_DATABASE_URL": f"sqlite:///{base / 'probe.db'}",
                      "CRM_INSTANCE_PATH": str(base / "instance"), "CRM_PLUGINS": ""})
    head = script_directory(app).get_revision("core@head").revision
    root = create_plugin("shelf", base, head)
    site = base / "site"
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
         "--no-build-isolation", "--target", str(site), "-e", str(root)],
        text=True, capture_output=True, timeout=600)
    assert pip.returncode == 0, pip.stderr
    return root, site


def test_the_command_writes_the_package_and_refuses_bad_names(crm_app, tmp_path):
    result = invoke_cli(crm_app, "plugin", "new", "parcels", "--directory", str(tmp_path))
    assert result.exit_code == 0, result.output
    root = tmp_path / "crm-parcels"
    for relative in ["pyproject.toml", "crm_parcels/plugin.py", "crm_parcels/models.py",
                     "crm_parcels/resources.py", "crm_parcels/services.py",
                     "crm_parcels/cli.py", "crm_parcels/migrations/versions/"
                     "parcels_0001_items.py",
                     "crm_parcels/translations/zh_CN/LC_MESSAGES/messages.po",
                     "tests/test_parcels.py"]:
        assert (root / relative).is_file(), relative
    assert 'parcels = "crm_parcels.plugin"' in (root / "pyproject.toml").read_text()
    assert '__tablename__ = "parcels_item"' in (root / "crm_parcels/models.py").read_text()

    again = invoke_cli(crm_app, "plugin", "new", "parcels", "--directory", str(tmp_path))
    assert again.exit_code == 2 and "exists already" in again.output
    for name, reason in [("Bad-Name", "not a plugin name"), ("core", "reserved"),
                         ("customers", "already installed"), ("class", "not a plugin name")]:
        refused = invoke_cli(crm_app, "plugin", "new", name, "--directory", str(tmp_path))
        assert refused.exit_code == 2, (name, refused.output)
        assert reason in refused.output, (name, refused.output)


def test_installed_it_migrates_and_serves_its_list_and_api(installed, tmp_path):
    root, site = installed
    env = {"CRM_DATABASE_URL": f"sqlite:///{tmp_path / 'crm.db'}",
           "CRM_INSTANCE_PATH": str(tmp_path / "instance"), "CRM_PLUGINS": "shelf"}
    upgrade = run_installed(site, tmp_path, "from crm_core.cli import main; "
                            "sys.argv = ['crm', 'db', 'upgrade']; main()", env)
    assert upgrade.returncode == 0, upgrade.stdout + upgrade.stderr
    serve = run_installed(site, tmp_path, """
from crm_core.app import create_app
from crm_core.testing import client_as, create_test_user, login
app = create_app()
admin = create_test_user(app, "boss", superuser=True)
api = client_as(app, superuser=True, api=True)
created = api.post("/api/v1/shelf/items", json={"name": "x", "quantity": 2})
print("create", created.status_code, created.get_json()["quantity"])
listed = api.get("/api/v1/shelf/items").get_json()
print("list", sorted(listed), [item["name"] for item in listed["items"]])
page = login(app.test_client(), admin).get("/shelf/items")
print("page", page.status_code, "x" in page.get_data(as_text=True))
outsider = client_as(app, "sales", department="Elsewhere")
print("outsider", outsider.get(f"/shelf/items/{created.get_json()['id']}").status_code)
""", env)
    assert serve.returncode == 0, serve.stdout + serve.stderr
    lines = [line for line in serve.stdout.splitlines() if not line.startswith("{")]
    assert lines == ["create 201 2", "list ['items', 'next_cursor'] ['x']", "page 200 True",
                     "outsider 404"]


def test_its_own_tests_pass_and_it_keeps_the_import_boundary(installed):
    root, site = installed
    tests = run_installed(site, root, "import pytest; sys.exit(pytest.main(["
                          "'-q', '-p', 'no:cacheprovider', 'tests']))")
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-2000:]
    assert "5 passed" in tests.stdout

    lint = run_installed(site, root, "from importlinter.cli import lint_imports_command; "
                         "sys.exit(lint_imports_command())")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    assert "1 kept, 0 broken" in lint.stdout

    # the contract is the kernel's: an internal import in the plugin breaks it
    services = root / "crm_shelf" / "services.py"
    original = services.read_text()
    services.write_text(original + "\nfrom crm_core.rbac.scope import scoped as _internal\n")
    try:
        broken = run_installed(site, root, "from importlinter.cli import "
                               "lint_imports_command; sys.exit(lint_imports_command())")
    finally:
        services.write_text(original)
    assert broken.returncode != 0
    assert "crm_shelf.services imports crm_core.rbac.scope" in broken.stdout
