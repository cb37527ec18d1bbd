"""Every platform hook. Each docstring is that hook's reference (see docs/plugins.md).

Implement a hook in your plugin's ``plugin.py`` with ``@hookimpl`` from ``crm_core.toolkit``.
Hooks are called with keyword arguments only, so an implementation may accept just the
arguments it needs. List-returning hooks are collected per plugin; the kernel knows which
plugin registered what (``crm plugins list`` counts them).
"""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("crm")


@hookspec
def crm_add_hookspecs(pm: pluggy.PluginManager) -> None:
    """Add the hooks this plugin offers to other plugins.

    A plugin that owns a concept (customers owns ``customer_created``) declares those hooks in
    its own ``hookspecs.py`` and adds them here: ``pm.add_hookspecs(hookspecs)``. Called once,
    after every enabled plugin is registered and before unknown hooks are checked, so a plugin
    may implement a hook offered by a plugin it ``requires``.
    """


@hookspec
def crm_models() -> list[type]:
    """Return the SQLAlchemy model classes this plugin owns.

    Each model derives from ``toolkit.Model``; its table name starts with the plugin's name
    (``customers_customer``). Listing them lets the kernel count them, keep ``crm db check``
    to the enabled plugins' tables and, later, audit and scope them. Schema changes ship as
    Alembic migrations in the plugin's ``migrations/versions/``.
    """


@hookspec
def crm_permissions() -> list[Any]:
    """Return ``toolkit.Permission`` specs: name ``<plugin>.<object>.<verb>``, label, group.

    Permissions are written to the database by ``crm db upgrade`` and ``crm sync-permissions``
    (add-only), never when a worker boots. A duplicate name is a startup error naming both
    plugins.
    """


@hookspec
def crm_roles() -> list[Any]:
    """Return ``toolkit.RoleSpec`` default roles and the permissions they grant.

    Two plugins may name the same role (``sales``); their grants are merged. The admin role
    is granted every permission.
    """


@hookspec
def crm_blueprints() -> list[Any]:
    """Return Flask blueprints with this plugin's HTML pages and API routes.

    Name each blueprint after the plugin; keep templates in ``templates/<plugin>/``. Put API
    routes under ``/api/v1/``. Guard every view with ``toolkit.require_permission`` (or mark it
    ``toolkit.public``): in strict mode an unguarded route stops the app.
    """


@hookspec
def crm_menu_items() -> list[Any]:
    """Return ``toolkit.MenuItem`` entries for the sidebar (label, endpoint, icon, permission).

    Items are sorted by ``order``, then label; an item with ``parent`` nests under that id.
    A user sees only the items whose permission they hold.
    """


@hookspec
def crm_report_widgets() -> list[Any]:
    """Return ``toolkit.ReportWidget`` dashboard widgets (id, title, chart kind, data function).

    ``data()`` returns a JSON-able dict the dashboard draws (bar, pie, line, number, table).
    It is called per view, so it must read precomputed aggregates, not scan big tables.
    """


@hookspec
def crm_celery_tasks(celery: Any) -> list[Any]:
    """Return ``toolkit.TaskSpec`` background tasks; the kernel registers each with Celery.

    The task's name is ``<plugin>.<spec.name>`` and it runs inside an app context. With
    ``job=True`` the function gets a ``job`` argument to report progress. ``celery`` is the
    Celery app, for plugins that need it (signals); most ignore it.
    """


@hookspec
def crm_beat_schedule() -> list[Any]:
    """Return ``toolkit.ScheduleEntry`` periodic runs of registered tasks for ``crm beat``."""


@hookspec
def crm_cli_commands() -> list[Any]:
    """Return click commands or groups added under ``crm`` (e.g. a ``customers`` group).

    Commands run inside an app context. A name already taken is a startup error.
    """


@hookspec
def crm_search(query: str, user: Any, limit: int) -> list[Any]:
    """Return up to ``limit`` ``toolkit.SearchHit`` results for the global search box.

    Apply the user's data scope: never return a record the user may not open.
    """


@hookspec
def crm_demo_data(size: int, session: Any) -> None:
    """Fill this plugin's tables with ``size`` realistic demo records for ``crm seed``.

    ``size`` is ``crm seed --<plugin> N`` for this plugin, else ``--size`` (default 100); a
    plugin whose size is 0 is not called. Called in dependency order, so a plugin can rely on
    its requirements' demo data. Add and flush; the command commits at the end. A plugin
    adding many thousands of rows may commit in batches itself (and print a progress line
    to stderr) rather than hold them all in one transaction.
    """


@hookspec
def crm_startup(app: Any) -> None:
    """Called last in ``create_app``, once every plugin is registered. Do no database work
    here: the factory also runs for the CLI and migrations on an empty database."""
