"""Fresh databases for tests, and migrated ones kept as templates for one test process.

``FreshDatabases`` creates empty SQLite files and PostgreSQL databases and drops them after
the test.

Migrating every plugin's tables takes about a second per database on SQLite and more on
PostgreSQL, and most tests want a fresh, migrated database of the same plugins. The first
app of a kind (database kind, plugins and settings) is migrated as before; its database is
then kept as a template, and the next apps of that kind start from a copy of it: a file copy
on SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL. The copy is what the migration would
have made, since ``crm_core.migrate.upgrade`` writes only to the database.
"""

from __future__ import annotations

import shutil
import sqlite3
import sys
import uuid
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

TemplateKey = tuple[Hashable, ...]


def template_key(database: str, plugins: list[str] | None, config: dict[str, Any]
                 ) -> TemplateKey:
    """What makes two migrated databases alike: their kind, the plugins asked for and those
    installed (a test may install one), the import path, and the settings."""
    from .plugins import candidates

    settings = tuple(sorted((name, repr(value)) for name, value in config.items()))
    return (database, None if plugins is None else tuple(plugins), tuple(candidates()),
            tuple(sys.path), settings)


class FreshDatabases:
    """Creates empty databases for tests and drops them afterwards."""

    def __init__(self, tmp_dir: Path) -> None:
        self.tmp_dir = tmp_dir
        self._drops: list[Callable[[], None]] = []

    def sqlite(self, template: str | None = None) -> str:
        """A URL of a new SQLite file (a copy of the file ``template``, if given)."""
        path = self.tmp_dir / f"crm-{uuid.uuid4().hex[:8]}.sqlite"
        if template:
            shutil.copyfile(template, path)
        return f"sqlite:///{path}"

    def postgresql(self, template: str | None = None) -> str:
        """A URL of a new PostgreSQL database on the test server: empty, or a copy of the
        database ``template``."""
        admin = make_url(_service_url())
        name = f"crm_test_{uuid.uuid4().hex[:12]}"
        create_database(admin, name, template)
        self._drops.append(lambda: drop_database(admin, name))
        return admin.set(database=name).render_as_string(hide_password=False)

    def new(self, kind: str, template: str | None = None) -> str:
        """A fresh database URL of ``kind`` ("sqlite" or "postgresql"), empty or a copy of
        ``template``."""
        return self.postgresql(template) if kind == "postgresql" else self.sqlite(template)

    def drop_all(self) -> None:
        for drop in reversed(self._drops):
            drop()


class MigratedTemplates:
    """Templates of migrated databases, made on first use and dropped at the end."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._templates: dict[TemplateKey, str | None] = {}
        self._admin_urls: dict[str, URL] = {}

    def template_for(self, key: TemplateKey) -> str | None:
        """The template of ``key`` (a SQLite file or a PostgreSQL database name), or None
        before the first database of that kind was migrated."""
        return self._templates.get(key)

    def keep(self, key: TemplateKey, app: Any, server: URL | None) -> None:
        """Keep the database of ``app``, just migrated, as the template of ``key``
        (``server``: a PostgreSQL URL of another database on the same server)."""
        if key in self._templates:
            return
        engine = app.extensions["crm_db"].engine
        url = engine.url
        if url.get_backend_name() == "sqlite":
            path = self.folder / f"template-{uuid.uuid4().hex[:12]}.sqlite"
            self.folder.mkdir(parents=True, exist_ok=True)
            source, target = sqlite3.connect(url.database), sqlite3.connect(path)
            try:
                source.backup(target)
            finally:
                source.close()
                target.close()
            self._templates[key] = str(path)
            return
        if server is None:
            return
        name = f"crm_template_{uuid.uuid4().hex[:12]}"
        engine.dispose()  # a template must have no other connection while it is copied
        try:
            create_database(server, name, template=url.database)
        except DBAPIError:  # still in use elsewhere: migrate the next one too
            return
        self._templates[key] = name
        self._admin_urls[name] = server

    def drop_all(self) -> None:
        """Drop the PostgreSQL templates (the SQLite ones go with the temporary folder)."""
        for name, url in self._admin_urls.items():
            drop_database(url, name)
        self._admin_urls.clear()
        self._templates.clear()


def create_database(server: URL, name: str, template: str | None = None) -> None:
    """Create the database ``name`` on ``server``, empty or as a copy of ``template``."""
    engine = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    copy = f' TEMPLATE "{template}"' if template else ""
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"{copy}'))


def drop_database(server: URL, name: str) -> None:
    """Drop the database ``name`` on ``server``, closing what is still connected to it."""
    engine = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _service_url() -> str:
    from .testing import test_service_url

    return test_service_url("CRM_TEST_DATABASE_URL")
