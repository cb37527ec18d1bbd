"""The ``crm`` command: configuration, plugins, database, users, worker, beat and server.

Every problem a user can cause (a bad setting, an unknown or broken plugin, an unreachable
database) ends in one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sys
from pathlib import Path
from typing import Any

import click
from alembic.util import CommandError as AlembicCommandError
from flask import Flask, current_app
from flask.cli import FlaskGroup, ScriptInfo, with_appcontext
from sqlalchemy.exc import DBAPIError, OperationalError

from . import config as config_module
from . import migrate
from .errors import CrmError
from .plugins_cli import plugins_group

EXIT_USAGE = 2


def fail(message: str) -> None:
    """Print ``crm: error: message`` to stderr and exit with code 2."""
    click.echo(f"crm: error: {message}", err=True)
    sys.exit(EXIT_USAGE)


def _load_app() -> Flask:
    from .app import create_app

    return create_app()


class CrmGroup(FlaskGroup):
    """Flask's CLI group, loading our factory; startup errors surface in ``main``."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        try:
            ctx.ensure_object(ScriptInfo).load_app()
        except CrmError as exc:
            click.echo(f"crm: error: {exc}", err=True)
            return sorted(self.commands)
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = click.Group.get_command(self, ctx, name)
        if command is not None:
            return command
        return super().get_command(ctx, name)


cli = CrmGroup(create_app=_load_app, add_version_option=False, load_dotenv=False,
               set_debug_flag=False, help="The CRM platform's command line.")


# -- configuration -------------------------------------------------------------------------

@cli.group("config")
def config_group() -> None:
    """Show the effective configuration."""


@config_group.command("show", with_appcontext=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def config_show(as_json: bool) -> None:
    """Print every CRM_* setting in force, secrets masked."""
    settings = config_module.masked(config_module.load())
    if as_json:
        click.echo(json.dumps(settings, indent=2, ensure_ascii=False, default=str))
        return
    width = max(len(key) for key in settings)
    for key, value in settings.items():
        shown = "(all installed)" if key == "CRM_PLUGINS" and value is None else value
        if isinstance(shown, list):
            shown = ",".join(shown) or "(kernel only)"
        click.echo(f"{key.ljust(width)}  {shown}")


# -- plugins -------------------------------------------------------------------------------

cli.add_command(plugins_group)  # crm plugins list | enable | disable (plugins_cli.py)


# -- database ------------------------------------------------------------------------------

@cli.group("db")
def db_group() -> None:
    """Migrate the database (one Alembic branch per plugin)."""


@db_group.command("upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Bring the kernel and every enabled plugin to their latest migration."""
    branches = migrate.upgrade(current_app)
    click.echo("Database is up to date: " + ", ".join(branches))


@db_group.command("downgrade")
@click.argument("target")
@with_appcontext
def db_downgrade(target: str) -> None:
    """Downgrade to TARGET; ``<plugin>@base`` removes that plugin's tables."""
    migrate.downgrade(current_app, target)
    click.echo(f"Downgraded to {target}")


@db_group.command("check")
@with_appcontext
def db_check() -> None:
    """Exit 1 when the database is not migrated or models and migrations differ."""
    pending = migrate.pending_branches(current_app)
    if pending:
        click.echo("Not migrated (run 'crm db upgrade'): " + ", ".join(pending), err=True)
        sys.exit(1)
    diffs = migrate.differences(current_app)
    if diffs:
        click.echo("Models and migrations differ:", err=True)
        for diff in diffs:
            click.echo(f"  {diff}", err=True)
        sys.exit(1)
    click.echo("Models and migrations agree.")


@db_group.command("current")
@with_appcontext
def db_current() -> None:
    """Show the revisions applied to the database."""
    heads = migrate.current_heads(current_app)
    click.echo("\n".join(heads) if heads else "(empty database)")


@db_group.command("revision")
@click.argument("plugin")
@click.option("-m", "--message", required=True, help="What the migration does.")
@click.option("--empty", is_flag=True, help="Write an empty migration (no autogenerate).")
@with_appcontext
def db_revision(plugin: str, message: str, empty: bool) -> None:
    """Write a new migration for PLUGIN from its models (``core`` for the kernel)."""
    script = migrate.new_revision(current_app, plugin, message, autogenerate=not empty)
    scripts = script if isinstance(script, list) else [script]
    for item in scripts:
        click.echo(f"Wrote {item.path}")


@cli.command("encryption-key")
def encryption_key() -> None:
    """Print a new key for CRM_ENCRYPTION_KEY (what stored credentials are sealed with)."""
    from .edge.sealing import new_key

    click.echo(new_key())


# -- permissions ---------------------------------------------------------------------------

@cli.command("sync-permissions")
@with_appcontext
def sync_permissions() -> None:
    """Add new permissions, roles and default grants (add-only; also run by db upgrade)."""
    from .db import get_session
    from .rbac.service import sync_from_platform

    session = get_session()
    report = sync_from_platform(session, current_app.extensions["crm"])
    session.commit()
    click.echo(f"Added {len(report.permissions)} permissions, {len(report.roles)} roles, "
               f"{len(report.grants)} grants.")


def _demo_data_plugins(platform: Any) -> list[str]:
    """The enabled plugins implementing ``crm_demo_data``, in load order."""
    order = {name: index for index, name in enumerate(platform.names)}
    names = {impl.plugin_name for impl in platform.pm.hook.crm_demo_data.get_hookimpls()}
    return sorted(names, key=lambda name: order.get(name, len(order)))


def _size_option_name(plugin: str) -> str:
    return f"--{plugin.replace('_', '-')}"


class SeedCommand(click.Command):
    """``crm seed``: besides ``--size``, one ``--<plugin> N`` option per enabled plugin that
    has demo data, read from the loaded app (so ``crm seed --help`` lists them)."""

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        params = super().get_params(ctx)
        try:
            app = ctx.ensure_object(ScriptInfo).load_app()
        except CrmError:
            return params  # the command reports the startup error when it runs
        taken = {name for param in params for name in param.opts}
        extra: list[click.Parameter] = []
        for plugin in _demo_data_plugins(app.extensions["crm"]):
            option = _size_option_name(plugin)
            if option in taken:
                continue
            extra.append(click.Option(
                [option, f"size_{plugin}"], type=click.IntRange(min=0), default=None,
                metavar="N", help=f"How many records plugin {plugin!r} adds (default: --size; "
                                  "0 leaves it out)."))
        # Before --help, which click keeps last.
        return params[:-1] + extra + params[-1:]


@cli.command("seed", cls=SeedCommand)
@click.option("--size", default=100, show_default=True, type=click.IntRange(min=0),
              help="How many records each plugin adds, unless its own option says otherwise.")
@click.option("--language", default=None, metavar="LOCALE",
              help="The language of the demo data's words: zh_CN (the default, or the "
                   "setting CRM_DEMO_LANGUAGE) or en.")
@with_appcontext
def seed(size: int, language: str | None = None, **plugin_sizes: int | None) -> None:
    """Fill every enabled plugin with demo data (through ``crm_demo_data``).

    ``--<plugin> N`` sets one plugin's size (``crm seed --customers 1000000``); plugins
    without their own option add ``--size`` records each, and a size of 0 leaves a plugin out.
    Plugins run in load order, so a plugin finds its requirements' demo data. They run in
    ``--language``: the words a plugin's demo data takes from ``gettext`` (tag names, sources,
    note titles) are in that language.
    """
    from flask_babel import force_locale

    from .i18n import DEFAULT_LOCALE, normalize_locale

    locale = normalize_locale(language or current_app.config["CRM_DEMO_LANGUAGE"])
    if language and locale is None:
        raise click.BadParameter(f"{language!r} is not a supported language (zh_CN, en).",
                                 param_hint="--language")
    with force_locale(locale or DEFAULT_LOCALE):
        _seed(size, plugin_sizes)


def _seed(size: int, plugin_sizes: dict[str, int | None]) -> None:
    from .db import get_session

    platform = current_app.extensions["crm"]
    sizes = {plugin: size if plugin_sizes.get(f"size_{plugin}") is None
             else plugin_sizes[f"size_{plugin}"] for plugin in _demo_data_plugins(platform)}
    order = {name: index for index, name in enumerate(platform.names)}
    session = get_session()
    filled = []
    for impl in sorted(platform.pm.hook.crm_demo_data.get_hookimpls(),
                       key=lambda impl: order.get(impl.plugin_name, len(order))):
        if impl.hookwrapper or impl.wrapper or not sizes.get(impl.plugin_name):
            continue
        arguments = {"size": sizes[impl.plugin_name], "session": session}
        impl.function(**{name: arguments[name] for name in impl.argnames})
        filled.append(impl.plugin_name)
    session.commit()
    click.echo("Demo data added by: " + (", ".join(
        f"{plugin} ({sizes[plugin]})" for plugin in filled) or "no plugin"))


# -- processes -----------------------------------------------------------------------------

PASSTHROUGH = {"ignore_unknown_options": True, "allow_extra_args": True}


@cli.command("worker", context_settings=PASSTHROUGH)
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
@with_appcontext
def worker(celery_args: tuple[str, ...]) -> None:
    """Start a Celery worker (extra arguments go to ``celery worker``)."""
    current_app.extensions["celery"].worker_main(["worker", "--loglevel=INFO", *celery_args])


@cli.command("beat", context_settings=PASSTHROUGH)
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
@with_appcontext
def beat(celery_args: tuple[str, ...]) -> None:
    """Start Celery beat for the plugins' periodic tasks."""
    celery = current_app.extensions["celery"]
    celery.start(["beat", "--loglevel=INFO", "-s", current_app.config["CRM_BEAT_SCHEDULE_FILE"],
                  *celery_args])


SERVE_THREADS = 4  # threads per gunicorn worker


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int,
              help="gunicorn worker processes (one or two per core).")
@click.option("--threads", default=SERVE_THREADS, show_default=True, type=click.IntRange(1, 64),
              help="Threads per worker: one waits on the database while another computes, "
                   "and browsers and API clients keep their connections open.")
@with_appcontext
def serve(host: str, port: int, workers: int, threads: int) -> None:
    """Serve the web app with gunicorn (threaded workers, keep-alive connections)."""
    sys.stdout.flush()
    if not _address_free(host, port):
        # each worker binds the port itself (--reuse-port): checked here, or they would
        # retry one after the other for ever
        fail(f"cannot listen on {host}:{port}: the address is in use")
    # --limit-request-line 0: gunicorn's own 8 KiB limit would answer a long URL with its bare
    # HTML 400 before the app's 414 (CRM_MAX_URL_LENGTH) could; 0 leaves gunicorn a 1 MiB cap.
    # gthread: sync workers close every connection (no keep-alive) and idle while a request
    # waits on PostgreSQL; a thread per request keeps both (issue 11, throughput).
    # --reuse-port: each worker listens on its own socket and the kernel spreads new
    # connections over them; on one shared socket the worker that wakes first took them all,
    # and a kept-alive client stays with its worker (wrk's 8 connections on one of two
    # workers served at one core's rate: issue 11, throughput).
    # No --access-logfile: the app writes one JSON access line a request (crm_core.logs, with
    # the request id and user); gunicorn's plain line was a second one (~3 % of a list
    # request's CPU).
    # one folder of metric files shared by the workers (/metrics adds them up), emptied at
    # each start: counts from a previous server would add to this one's
    metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or str(
        Path(current_app.instance_path) / "prometheus")
    shutil.rmtree(metrics_dir, ignore_errors=True)
    Path(metrics_dir).mkdir(parents=True, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    os.execv(sys.executable, [sys.executable, "-m", "gunicorn", "--bind", f"{host}:{port}",
                              "-c", "python:crm_core.gunicorn_conf",
                              *gunicorn_worker_options(workers, threads), "crm_core.wsgi:app"])


def gunicorn_worker_options(workers: int, threads: int = SERVE_THREADS) -> list[str]:
    """The worker options ``crm serve`` gives gunicorn (why each: in ``serve``);
    ``bench/throughput.py`` serves its floor with the same."""
    return ["--workers", str(workers), "--worker-class", "gthread", "--threads", str(threads),
            "--keep-alive", "5", "--reuse-port", "--limit-request-line", "0"]


def _address_free(host: str, port: int) -> bool:
    """Whether nothing listens on ``host:port`` (bound as gunicorn binds, without sharing)."""
    try:
        family, kind, protocol, _name, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM)[0]
    except OSError:
        return True  # gunicorn says what is wrong with the address
    with socket.socket(family, kind, protocol) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError:
            return False
    return True


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``crm`` console script."""
    try:
        cli.main(args=argv, prog_name="crm")
    except (CrmError, AlembicCommandError) as exc:
        fail(str(exc))
    except (OperationalError, DBAPIError) as exc:
        first = str(exc.orig if getattr(exc, "orig", None) else exc).strip().splitlines()
        fail(f"database error: {first[0] if first else type(exc).__name__} "
             "(check CRM_DATABASE_URL and that the database server is running)")




if __name__ == "__main__":
    main()
