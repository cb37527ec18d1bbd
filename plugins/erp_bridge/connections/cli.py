"""``crm erp``: connect an ERP, show the connections' state, try one, pull now.

``crm erp connect --name odoo --kind odoo --url URL --database DB --login LOGIN
--api-key-file FILE`` (or ``--kind webhook --secret-file FILE``) creates or changes a
connection; the key is read from a file so it never appears in the shell history or the
process list. ``crm erp status [--json]`` prints each connection, never its credential.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import click

from crm_core.toolkit import db

from ..models import KINDS, TRANSPORT_CHOICES
from . import services


@click.group("erp", help="ERP bridge: connections to Odoo and signed webhooks.")
def erp() -> None:
    """The ERP bridge commands."""


def _fail(message: str) -> None:
    """``crm: error: message`` on stderr, exit code 2 (as the kernel's commands)."""
    click.echo(f"crm: error: {message}", err=True)
    raise SystemExit(2)


def _read_secret(path: str | None) -> str:
    if not path:
        return ""
    try:
        text = Path(path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeError) as failed:
        _fail(f"Cannot read {path}: {failed.__class__.__name__}")
    if "\n" in text:
        _fail(f"{path} must hold the key alone, on one line.")
    return text


@erp.command("connect")
@click.option("--name", required=True, help="The connection's name (letters, digits, - _).")
@click.option("--kind", type=click.Choice(KINDS), default="odoo", show_default=True)
@click.option("--url", default=None, help="The ERP's address (Odoo), or the receiver of "
                                          "outbound webhooks.")
@click.option("--database", default=None, help="The Odoo database.")
@click.option("--login", default=None, help="The Odoo user's login.")
@click.option("--api-key-file", type=click.Path(dir_okay=False), default=None,
              help="A file holding the Odoo user's API key.")
@click.option("--secret-file", type=click.Path(dir_okay=False), default=None,
              help="A file holding the webhook secret (whsec_…).")
@click.option("--transport", type=click.Choice(TRANSPORT_CHOICES), default=None,
              help="Force a transport (default: by the ERP's version).")
@click.option("--key-expires", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="The day the API key lapses (YYYY-MM-DD), to be warned before.")
def connect(name: str, kind: str, url: str | None, database: str | None, login: str | None,
            api_key_file: str | None, secret_file: str | None, transport: str | None,
            key_expires: dt.datetime | None) -> None:
    """Create the connection NAME, or change it (options left out keep their values)."""
    values: dict[str, Any] = {"name": name, "kind": kind,
                              "secret": _read_secret(api_key_file if kind == "odoo"
                                                     else secret_file)}
    for key, value in (("url", url), ("database", database), ("login", login),
                       ("transport", transport)):
        if value is not None:
            values[key] = value
    if key_expires is not None:
        values["key_expires_on"] = key_expires.date()
    existing = services.find_connection(db.session, name)
    try:
        connection = services.save_connection(db.session, values, existing)
    except services.ConnectionError_ as refused:
        db.session.rollback()
        option = {"secret": "api-key-file" if kind == "odoo" else "secret-file"}.get(
            refused.field or "name", (refused.field or "name").replace("_", "-"))
        _fail(f"--{option}: {refused}")
    db.session.commit()
    click.echo(f"{'Changed' if existing else 'Created'} connection {connection.name} "
               f"({connection.kind}).")


@erp.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def status(as_json: bool) -> None:
    """Each connection: kind, address, state (and why it stopped), key expiry."""
    from ..sync.pull import cursors

    rows = [{**services.status(connection), "pulls": cursors(db.session, connection)}
            for connection in services.all_connections(db.session)]
    if as_json:
        click.echo(json.dumps({"connections": rows}, ensure_ascii=False))
        return
    if not rows:
        click.echo("No connections. Add one with `crm erp connect`.")
    for row in rows:
        expiry = f", key expires {row['key_expires_on']}" if row["key_expires_on"] else ""
        reason = f": {row['stopped_reason']}" if row["stopped_reason"] else ""
        held = f", held since {row['held_since']}" if row["held"] else ""
        click.echo(f"{row['name']} ({row['kind']}) {row['url'] or '-'} "
                   f"{row['state']}{reason}{held}{expiry}")


def _hold(name: str, hold: bool) -> None:
    connection = services.find_connection(db.session, name)
    if connection is None:
        _fail(f"no connection named {name!r} (see `crm erp status`)")
    (services.hold_connection if hold else services.release_connection)(db.session,
                                                                        connection)
    db.session.commit()
    click.echo(f"Connection {connection.name} is {'held' if hold else 'released'}.")


@erp.command("hold")
@click.argument("name")
def hold(name: str) -> None:
    """Pause the connection NAME: its messages wait in the outbox, no pull runs."""
    _hold(name, True)


@erp.command("release")
@click.argument("name")
def release(name: str) -> None:
    """End the hold of the connection NAME: the waiting messages go out."""
    _hold(name, False)


@erp.command("check")
@click.argument("name")
def check(name: str) -> None:
    """Try the connection NAME now: probe the ERP's version and prove the key. A refused
    key stops it; a success starts it again. Exit code 1 when it does not work."""
    connection = services.find_connection(db.session, name)
    if connection is None:
        _fail(f"no connection named {name!r} (see `crm erp status`)")
    problem = services.check_connection(db.session, connection)
    db.session.commit()
    click.echo(json.dumps({"name": connection.name, "ok": problem is None,
                           "problem": problem, "state": connection.state,
                           "erp_version": connection.erp_version}, ensure_ascii=False))
    if problem is not None:
        raise SystemExit(1)


@erp.command("sync")
@click.option("--object", "obj", required=True,
              type=click.Choice(("customers", "products", "orders", "invoices")))
@click.option("--full", is_flag=True, help="Start from the beginning, not the stored cursor.")
@click.option("--connection", "name", default=None,
              help="The Odoo connection (default: every active one).")
def sync(obj: str, full: bool, name: str | None) -> None:
    """Pull or push OBJECT now, in the foreground; the last line is JSON
    {"pushed", "pulled", "failed", "dead"}. Exit code 1 when a run failed."""
    from ..sync.initial import push_customers, push_orders
    from ..sync.pull import pull
    from ..sync.settings import object_settings

    chosen = [found for found in services.all_connections(db.session)
              if found.kind == "odoo" and (found.name == name if name else
                                           services.runs(found))]
    if name and not chosen:
        _fail(f"--connection {name}: no Odoo connection of that name.")
    if name and chosen[0].held:
        _fail(f"--connection {name}: the connection is held (crm erp release {name}).")
    chosen = [found for found in chosen if object_settings(obj, found.name).direction != "off"]
    if not chosen:
        _fail(f"--object {obj}: its sync direction is off (ERP sync settings).")
    totals = {"pushed": 0, "pulled": 0, "failed": 0, "dead": 0}
    for connection in chosen:
        if obj in ("customers", "orders"):
            pushed = (push_customers if obj == "customers" else push_orders)(
                db.session, connection, full=full)
            totals["pushed"] += pushed.pushed
            totals["dead"] += pushed.refused
            failed, error = pushed.failed, pushed.error
        else:
            pulled = pull(db.session, connection, obj, full=full)
            totals["pulled"] += pulled.pulled
            failed, error = pulled.failed, pulled.error
        totals["failed"] += failed
        if error:
            click.echo(f"{connection.name}: {error}", err=True)
    click.echo(json.dumps(totals))
    if totals["failed"]:
        raise SystemExit(1)


@erp.command("reconcile")
@click.option("--object", "obj", required=True,
              type=click.Choice(("customers", "products", "orders")))
def reconcile_command(obj: str) -> None:
    """Compare OBJECT's id sets with every active Odoo connection now (the daily run); the
    last line is JSON {"gone", "back", "failed"}."""
    from ..sync.reconcile import reconcile

    totals = {"gone": 0, "back": 0, "failed": 0}
    for connection in services.all_connections(db.session):
        if connection.kind == "odoo" and services.runs(connection):
            result = reconcile(db.session, connection, obj)
            totals["gone"] += result.gone
            totals["back"] += result.back
            totals["failed"] += 1 if result.error else 0
            if result.error:
                click.echo(f"{connection.name}: {result.error}", err=True)
    click.echo(json.dumps(totals))
    if totals["failed"]:
        raise SystemExit(1)


def cli_commands() -> list[Any]:
    """The ``crm erp`` group."""
    return [erp]
