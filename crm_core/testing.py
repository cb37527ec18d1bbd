"""pytest fixtures for the platform and for plugin authors (loaded through ``pytest11``).

``crm_make_app(plugins=[...])`` builds an app with the chosen plugins on a fresh, migrated
database (SQLite by default, PostgreSQL with ``database="postgresql"``); ``crm_app`` is one
such app (plugins from the ``crm_plugins`` marker), with ``crm_session``, ``client`` and
``admin_client`` around it; ``crm_client_as("sales", department="Team A")`` signs a new user
of that role in on a client isolated from the test's app context (``testing_clients``).
``crm_start_worker(app)`` runs a real Celery worker process. ``DATABASES`` parametrizes a test
over SQLite and PostgreSQL (``crm_make_app(database=database)``).

``CRM_TEST_DATABASE_URL`` and ``CRM_TEST_REDIS_URL`` point the PostgreSQL and Redis tests at
real servers. Without them those tests are skipped, except under ``CI=true``, where a missing
or unreachable server fails the run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from .testing_clients import (
    IsolatedClient,
    bearer_token,
    client_as,
    create_test_user,
    isolated_client,
    login,
    sign_in,
    start_test_session,
)
from .testing_databases import FreshDatabases, MigratedTemplates, template_key

ALL_PLUGINS = None
# ``@pytest.mark.parametrize("database", DATABASES)``: the test once on SQLite, once on
# PostgreSQL (skipped without CRM_TEST_DATABASE_URL, failed under CI=true).
DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
_service_problems: dict[str, str | None] = {}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "crm_plugins(*names): plugins enabled for the crm_app fixture "
        "(no marker: every installed plugin)")
    config.addinivalue_line("markers", "postgres: needs CRM_TEST_DATABASE_URL (PostgreSQL)")
    config.addinivalue_line("markers", "redis: needs CRM_TEST_REDIS_URL")
    config.addinivalue_line("markers", "worker: starts a real Celery worker process")


def running_in_ci() -> bool:
    """Whether ``CI`` is set to a true value (then missing services fail, not skip)."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def _unavailable(message: str) -> None:
    if running_in_ci():
        pytest.fail(f"{message} (CI=true: the test services must be reachable)", pytrace=False)
    pytest.skip(message)


def _probe_database(url: str) -> str | None:
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 5})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # any failure: report it, the caller skips or fails
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    return None


def _probe_redis(url: str) -> str | None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=5).ping()
    except Exception as exc:  # any failure: report it, the caller skips or fails
        return f"{type(exc).__name__}: {exc}"
    return None


def test_service_url(variable: str) -> str:
    """The URL in ``variable`` once its server answers; skips (or fails under CI) if not."""
    url = os.environ.get(variable, "").strip()
    if not url:
        _unavailable(f"{variable} is not set")
    if variable not in _service_problems:
        probe = _probe_redis if url.startswith("redis") else _probe_database
        _service_problems[variable] = probe(url)
    problem = _service_problems[variable]
    if problem:
        _unavailable(f"{variable}={url} is unreachable: {problem}")
    return url


test_service_url.__test__ = False  # type: ignore[attr-defined]  # not a test itself


@pytest.fixture(scope="session", autouse=True)
def crm_cheap_password_hashes() -> Iterator[None]:
    """argon2id at its cheapest for the test process: tests create thousands of users, and
    the recommended parameters cost a tenth of a second or more a hash. The algorithm and
    the checks are the same; ``passwords.RECOMMENDED`` stays what the app uses."""
    from argon2 import PasswordHasher

    from .auth import passwords

    previous = passwords.use_hasher(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    yield
    passwords.use_hasher(previous)


@pytest.fixture
def postgres_url() -> str:
    """The PostgreSQL server of ``CRM_TEST_DATABASE_URL`` (an admin URL)."""
    return test_service_url("CRM_TEST_DATABASE_URL")


@pytest.fixture
def redis_url() -> str:
    """The Redis server of ``CRM_TEST_REDIS_URL``."""
    return test_service_url("CRM_TEST_REDIS_URL")


@pytest.fixture
def crm_databases(tmp_path: Path) -> Iterator[FreshDatabases]:
    """Make fresh database URLs: ``crm_databases.new("sqlite" | "postgresql")``."""
    databases = FreshDatabases(tmp_path)
    yield databases
    databases.drop_all()


def test_config(instance: Path, database_url: str, plugins: list[str] | None,
                **overrides: Any) -> dict[str, Any]:
    """The settings of a test app: its own instance folder, database, broker and queue."""
    return {
        "CRM_INSTANCE_PATH": str(instance),
        "CRM_DATABASE_URL": database_url,
        "CRM_BROKER_URL": f"sqla+sqlite:///{instance / 'broker.sqlite'}",
        "CRM_PLUGINS": plugins,
        "CRM_STRICT": True,
        "CRM_SECRET_KEY": "test-secret-key",
        "CRM_TASK_QUEUE": f"crm-test-{uuid.uuid4().hex[:8]}",
        "TESTING": True,
        **overrides,
    }


test_config.__test__ = False  # type: ignore[attr-defined]


def migrated_app(instance: Path, plugins: list[str] | None) -> Iterator[Flask]:
    """Yields a test app on a fresh migrated SQLite database in ``instance``, and disposes of
    its engine after: for fixtures of module or session scope (``crm_make_app`` is per test)."""
    from .app import create_app
    from .migrate import upgrade

    app = create_app(test_config(instance, f"sqlite:///{instance / 'crm.sqlite'}", plugins))
    with app.app_context():
        upgrade(app)
    yield app
    app.extensions["crm_db"].engine.dispose()


@pytest.fixture(scope="session")
def crm_migrated_templates(tmp_path_factory: pytest.TempPathFactory
                           ) -> Iterator[MigratedTemplates]:
    """The migrated databases this test process keeps as templates (``testing_templates``)."""
    templates = MigratedTemplates(tmp_path_factory.mktemp("templates"))
    yield templates
    templates.drop_all()


@pytest.fixture
def crm_make_app(tmp_path_factory: pytest.TempPathFactory, crm_databases: FreshDatabases,
                 crm_migrated_templates: MigratedTemplates) -> Iterator[Callable[..., Flask]]:
    """Factory: ``crm_make_app(plugins=None, database="sqlite", migrate=True, **config)``.

    ``plugins`` lists the enabled plugins (None: all installed; []: the kernel alone).
    The app has its own instance folder and a fresh database, migrated unless told not to.
    """
    apps: list[Flask] = []

    def make(plugins: list[str] | None = ALL_PLUGINS, database: str = "sqlite",
             migrate: bool = True, **config: Any) -> Flask:
        from .app import create_app
        from .migrate import upgrade

        instance = tmp_path_factory.mktemp("instance")
        key = template_key(database, plugins, config)
        template = crm_migrated_templates.template_for(key) if migrate else None
        url = crm_databases.new(database, template)
        app = create_app(test_config(instance, url, plugins, **config))
        apps.append(app)
        if migrate and template is None:
            with app.app_context():
                upgrade(app)
            server = make_url(test_service_url("CRM_TEST_DATABASE_URL")) \
                if database == "postgresql" else None
            crm_migrated_templates.keep(key, app, server)
        return app

    yield make
    for app in apps:
        app.extensions["crm_db"].engine.dispose()


@pytest.fixture
def crm_app(request: pytest.FixtureRequest, crm_make_app: Callable[..., Flask]) -> Flask:
    """An app with the plugins of the ``crm_plugins`` marker on a fresh SQLite database."""
    marker = request.node.get_closest_marker("crm_plugins")
    plugins = list(marker.args) if marker else ALL_PLUGINS
    return crm_make_app(plugins=plugins)


@pytest.fixture
def crm_session(crm_app: Flask) -> Iterator[Session]:
    """A database session of ``crm_app`` inside an app context."""
    from .db import get_session

    with crm_app.app_context():
        yield get_session()


@pytest.fixture
def client(crm_app: Flask) -> FlaskClient:
    """An anonymous test client of ``crm_app``."""
    return crm_app.test_client()


@pytest.fixture
def crm_client_as(crm_app: Flask) -> Callable[..., IsolatedClient]:
    """Factory: ``crm_client_as("sales", department="Team A")`` is a client of ``crm_app``
    signed in as a new user with that role (``client.user``); its requests never share the
    test's app context (see ``IsolatedClient``)."""
    def make(role: str | None = None, **options: Any) -> IsolatedClient:
        return client_as(crm_app, role, **options)

    return make


@pytest.fixture
def admin_user(crm_app: Flask) -> Any:
    """A superuser in ``crm_app``'s database."""
    return create_test_user(crm_app, "admin", superuser=True)


@pytest.fixture
def admin_client(crm_app: Flask, admin_user: Any) -> FlaskClient:
    """A test client signed in as a superuser."""
    return login(crm_app.test_client(), admin_user)


def invoke_cli(app: Flask, *args: str) -> Any:
    """Run ``crm ARGS...`` against ``app`` in-process; returns click's ``Result``.

    Unlike ``app.test_cli_runner()``, this reaches the kernel's commands (``db``, ``seed``,
    ``users``…) as well as the plugins'.
    """
    from click.testing import CliRunner
    from flask.cli import ScriptInfo

    from .cli import cli

    return CliRunner().invoke(cli, list(args), obj=ScriptInfo(create_app=lambda: app))


def write_plugin_distribution(site: Path, name: str, plugin_source: str,
                              files: dict[str, str] | None = None) -> Path:
    """Write an installed plugin distribution into ``site``, as ``pip install`` would.

    The package ``<name>_plugin`` gets ``plugin.py`` = ``plugin_source`` plus ``files``
    (relative paths inside the package); an ``.dist-info`` folder advertises it in the
    ``crm.plugins`` entry point group under ``name``. Put ``site`` on ``sys.path`` (or
    ``PYTHONPATH`` for a subprocess) and the platform finds it like any installed plugin.
    """
    import textwrap

    package = site / f"{name}_plugin"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text("")
    (package / "plugin.py").write_text(textwrap.dedent(plugin_source))
    for relative, content in (files or {}).items():
        target = package / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(content))
    info = site / f"{name}_plugin-0.1.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[crm.plugins]\n{name} = {name}_plugin.plugin\n")
    return site


@pytest.fixture
def crm_install_plugin(tmp_path: Path,
                       monkeypatch: pytest.MonkeyPatch) -> Callable[..., Path]:
    """Factory: ``crm_install_plugin(name, plugin_source, files=None)`` installs a plugin
    distribution for this test only (on ``sys.path``); returns the site folder, which a
    subprocess can use as ``PYTHONPATH``."""
    site = tmp_path / "site-packages"
    monkeypatch.syspath_prepend(str(site))

    def install(name: str, plugin_source: str, files: dict[str, str] | None = None) -> Path:
        write_plugin_distribution(site, name, plugin_source, files)
        import importlib

        importlib.invalidate_caches()
        return site

    return install


class WorkerProcess:
    """A real ``crm worker`` process serving one app's queue."""

    def __init__(self, app: Flask, log_path: Path) -> None:
        env = {**os.environ, **app_environment(app)}
        self.log_path = log_path
        self._log = log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "crm_core.cli", "worker", "--pool=solo",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 60) -> None:
        """Block until the worker says it is ready; fail with its log otherwise."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            log = self.log_path.read_text(errors="replace")
            if " ready." in log:
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        pytest.fail(f"the Celery worker did not start:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def app_environment(app: Flask) -> dict[str, str]:
    """``CRM_*`` environment variables that rebuild ``app``'s configuration in a subprocess."""
    plugins = app.config["CRM_PLUGINS"]
    return {
        "CRM_INSTANCE_PATH": app.config["CRM_INSTANCE_PATH"],
        "CRM_DATABASE_URL": app.config["CRM_DATABASE_URL"],
        "CRM_BROKER_URL": app.config["CRM_BROKER_URL"],
        "CRM_SECRET_KEY": app.config["CRM_SECRET_KEY"],
        "CRM_TASK_QUEUE": app.config["CRM_TASK_QUEUE"],
        "CRM_PLUGINS": "all" if plugins is None else (",".join(plugins) or "none"),
        # the key ring (empty: the instance's key file, which the subprocess shares)
        "CRM_ENCRYPTION_KEY": str(app.config.get("CRM_ENCRYPTION_KEY") or ""),
    }


@pytest.fixture
def crm_start_worker(tmp_path: Path) -> Iterator[Callable[[Flask], WorkerProcess]]:
    """Factory: ``crm_start_worker(app)`` starts a real Celery worker for ``app`` and waits
    until it is ready; it is stopped after the test."""
    workers: list[WorkerProcess] = []

    def start(app: Flask) -> WorkerProcess:
        worker = WorkerProcess(app, tmp_path / f"worker-{len(workers)}.log")
        workers.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in workers:
        worker.stop()


__all__ = [
    "DATABASES", "FreshDatabases", "IsolatedClient", "WorkerProcess", "app_environment",
    "bearer_token", "client_as", "create_test_user", "invoke_cli", "isolated_client", "login",
    "sign_in",
    "migrated_app", "start_test_session", "write_plugin_distribution",
    "running_in_ci", "test_config", "test_service_url",
]
