"""Alembic, one branch per plugin: upgrade, downgrade, check and new revisions.

The kernel's migrations are branch ``core``; each plugin's live in its own
``migrations/versions/`` with ``branch_labels = ("<plugin>",)`` on the first revision and
``depends_on`` naming the branches of what it requires. Every known plugin's folder is on
the version path (so a database that once had a now-disabled plugin still resolves), but
only enabled plugins are upgraded or compared.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask

from .custom_fields.storage import INDEX_PREFIX as CUSTOM_INDEX_PREFIX
from .db import metadata
from .errors import CrmError
from .plugins import KERNEL_NAME

KERNEL_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _platform(app: Flask) -> Any:
    return app.extensions["crm"]


def alembic_config(app: Flask, enabled_only: bool = False) -> Config:
    """An Alembic config for this app, knowing every plugin's version folder.

    ``enabled_only`` leaves out disabled plugins' folders: writing a new revision needs the
    database at every head Alembic knows, which a disabled plugin's branch never is.
    """
    cfg = Config()
    cfg.set_main_option("script_location", str(KERNEL_MIGRATIONS))
    cfg.set_main_option("path_separator", "os")
    locations = [str(KERNEL_MIGRATIONS / "versions")]
    locations += [str(record.migrations_path) for record in _platform(app).known.values()
                  if record.migrations_path is not None
                  and (record.enabled or not enabled_only)]
    cfg.set_main_option("version_locations", os.pathsep.join(locations))
    cfg.attributes["app"] = app
    return cfg


def script_directory(app: Flask) -> ScriptDirectory:
    """The Alembic script directory over every known plugin's migrations.

    Read once per app: ``/readyz`` asks on every probe, and the files do not change while the
    process runs.
    """
    script = app.extensions.get("crm_alembic_script")
    if script is None:
        script = app.extensions["crm_alembic_script"] = ScriptDirectory.from_config(
            alembic_config(app))
    return script


def migrated_branches(app: Flask) -> list[str]:
    """Branch labels to upgrade: the kernel's and every enabled plugin that has migrations."""
    script = script_directory(app)
    labels = {label for rev in script.walk_revisions() for label in rev.branch_labels}
    return [name for name in _platform(app).names if name in labels]


def _branch_head(script: ScriptDirectory, branch: str) -> str:
    return script.get_revision(f"{branch}@head").revision


@contextmanager
def _connection(app: Flask) -> Iterator[Any]:
    with app.extensions["crm_db"].engine.connect() as connection:
        yield connection


def current_heads(app: Flask) -> tuple[str, ...]:
    """The revisions recorded in the database (empty for a new database)."""
    with _connection(app) as connection:
        return MigrationContext.configure(connection).get_current_heads()


def _applied(script: ScriptDirectory, heads: tuple[str, ...]) -> set[str]:
    seen: set[str] = set()
    stack = list(heads)
    while stack:
        rev_id = stack.pop()
        if rev_id in seen:
            continue
        seen.add(rev_id)
        rev = script.get_revision(rev_id)
        if rev is None:
            continue
        for parents in (rev.down_revision, rev.dependencies):
            if isinstance(parents, str):
                parents = (parents,)
            for parent in parents or ():
                parent_rev = script.get_revision(parent)  # dependencies may be branch labels
                if parent_rev is not None:
                    stack.append(parent_rev.revision)
    return seen


def pending_branches(app: Flask) -> list[str]:
    """Enabled branches whose head is not yet applied to the database."""
    script = script_directory(app)
    applied = _applied(script, current_heads(app))
    return [b for b in migrated_branches(app) if _branch_head(script, b) not in applied]


def upgrade(app: Flask) -> list[str]:
    """Bring the kernel and every enabled plugin to head, then add new permissions and roles
    (add-only); returns the branches upgraded."""
    from .rbac.service import sync_from_platform

    cfg = alembic_config(app)
    branches = migrated_branches(app)
    for branch in branches:
        command.upgrade(cfg, f"{branch}@head")
    with app.extensions["crm_db"].new_session() as session:
        sync_from_platform(session, _platform(app))
        session.commit()
    return branches


def downgrade(app: Flask, target: str) -> None:
    """Downgrade to ``target`` (``<plugin>@base`` removes one plugin's tables)."""
    branch = target.split("@", 1)[0]
    known = {KERNEL_NAME, *_platform(app).known}
    if "@" in target and branch not in known:
        raise CrmError(f"unknown plugin {branch!r} in {target!r}")
    command.downgrade(alembic_config(app), target)


def differences(app: Flask) -> list[Any]:
    """How the enabled plugins' models differ from the database (empty when they agree)."""
    with _connection(app) as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True,
            "include_object": include_object_for(app),
            "render_as_batch": connection.dialect.name == "sqlite",
        })
        return compare_metadata(context, metadata)


def include_object_for(app: Flask, only_plugin: str | None = None) -> Any:
    """An Alembic ``include_object`` that keeps to the enabled plugins' tables.

    A reflected table is kept when its name starts with an enabled plugin's prefix, so a
    table left behind by a removed model is still reported; tables of disabled plugins and
    Alembic's own are ignored.
    """
    platform = _platform(app)
    owned = platform.table_owners()  # table name -> plugin
    names = [only_plugin] if only_plugin else platform.names
    unmanaged = unmanaged_tables(platform.models, names)

    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        if type_ == "index" and str(name or "").startswith(CUSTOM_INDEX_PREFIX):
            return False  # a custom field's index: the kernel makes and drops it at run time
        if type_ != "table":
            table = getattr(obj, "table", None)
            name = getattr(table, "name", name)
        if name is None or name == "alembic_version":
            return name is None
        if name in owned:
            return owned[name] in names
        if any(fnmatchcase(name, pattern) for pattern in unmanaged):
            return False
        return reflected and any(name.startswith(f"{plugin}_") for plugin in names)

    return include


def unmanaged_tables(models: Mapping[str, Iterable[type]], plugins: Iterable[str]
                     ) -> list[str]:
    """The table name patterns the ``plugins`` declare as made by their migrations outside
    the ORM (search indexes, FTS5 virtual tables and their shadow tables).

    A plugin declares them with ``__unmanaged_tables__`` (names or ``fnmatch`` patterns such as
    ``"customers_search_fts*"``) in the module of any of its models. Only patterns with the
    plugin's own table prefix count, so no plugin can hide another one's tables.
    """
    patterns: list[str] = []
    for plugin in plugins:
        modules = {model.__module__ for model in models.get(plugin, ())}
        for module in sorted(modules):
            declared = getattr(sys.modules.get(module), "__unmanaged_tables__", ())
            patterns.extend(pattern for pattern in declared
                            if pattern.startswith(f"{plugin}_"))
    return patterns


def new_revision(app: Flask, plugin: str, message: str, autogenerate: bool = True) -> Any:
    """Write a new migration into ``plugin``'s ``migrations/versions`` (first one labelled)."""
    platform = _platform(app)
    if plugin == KERNEL_NAME:
        version_path = KERNEL_MIGRATIONS / "versions"
        requires: tuple[str, ...] = ()
    else:
        if plugin not in platform.names:
            raise CrmError(f"plugin {plugin!r} is not enabled")
        record = platform.known[plugin]
        version_path = record.package_path / "migrations" / "versions"
        version_path.mkdir(parents=True, exist_ok=True)
        requires = (KERNEL_NAME, *record.info.requires)
    cfg = alembic_config(app, enabled_only=True)
    cfg.attributes["only_plugin"] = plugin
    script = ScriptDirectory.from_config(cfg)
    labels = {label for rev in script.walk_revisions() for label in rev.branch_labels}
    first = plugin not in labels
    return command.revision(
        cfg, message=message, autogenerate=autogenerate,
        head="base" if first else f"{plugin}@head",
        branch_label=plugin if first else None,
        version_path=str(version_path),
        depends_on=[f"{r}@head" for r in requires] if first and requires else None,
    )
