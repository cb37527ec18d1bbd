"""``crm oa``: connect an OA app, link users to their OA identities, map approval definitions
to OA processes. Secrets are read from files (``--app-secret-file``), never from the command
line, so they stay out of shell history and process lists (the callback token is the one
exception the issue names: ``--token``).
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask_babel import lazy_gettext as _l

from crm_core.toolkit import db, record_event

from ..models import KINDS, OaConnection
from . import services


def _read_secret(path: str | None) -> str | None:
    if not path:
        return None
    return Path(path).read_text(encoding="utf-8").strip()


@click.group("oa")
def oa() -> None:
    """The OA bridge: DingTalk, WeCom and Feishu connections."""


@oa.command("connect")
@click.option("--name", required=True, help="The connection's name, in its callback URL.")
@click.option("--kind", type=click.Choice(KINDS), required=True)
@click.option("--app-key", default="", help="DingTalk AppKey or Feishu App ID.")
@click.option("--app-secret-file", type=click.Path(exists=True, dir_okay=False),
              help="A file holding the AppSecret (WeCom: the app's Secret).")
@click.option("--token", default=None,
              help="The callback Token (Feishu: the Verification Token).")
@click.option("--aes-key-file", type=click.Path(exists=True, dir_okay=False),
              help="A file holding the EncodingAESKey (Feishu: the Encrypt Key).")
@click.option("--corp-id", default="", help="The CorpId (WeCom: required).")
@click.option("--agent-id", default="", help="The app's AgentId (messages; old DingTalk API).")
@click.option("--base-url", default="", help="Another API address (a fake server in tests).")
@click.option("--signin/--no-signin", default=None,
              help="Offer \"Sign in with …\" on the login page (default: keep; new: off).")
def connect(name: str, kind: str, app_key: str, app_secret_file: str | None,
            token: str | None, aes_key_file: str | None, corp_id: str, agent_id: str,
            base_url: str, signin: bool | None) -> None:
    """Add a connection, or change the one of this name (secrets not given are kept)."""
    session = db.session
    existing = services.find_connection(session, name, active_only=False)
    values = {"name": name, "kind": kind, "app_key": app_key, "corp_id": corp_id,
              "agent_id": agent_id, "base_url": base_url, "active": True,
              "app_secret": _read_secret(app_secret_file), "token": token,
              "aes_key": _read_secret(aes_key_file)}
    if signin is not None:
        values["signin"] = signin
    connection = services.save_connection(session, values, existing)
    record_event("oa_connect", _l("OA connection %(name)s saved", name=name), model=OaConnection,
                 record_id=connection.id, changes={"kind": kind})
    session.commit()
    click.echo(f"{'Changed' if existing else 'Added'} connection {name} ({kind}); "
               f"callback URL: /oa/callback/{name}")


@oa.command("link-user")
@click.option("--connection", "connection_name", required=True)
@click.option("--username", required=True, help="The CRM user's name.")
@click.option("--oa-user-id", default="", help="The user's id in the OA.")
@click.option("--mobile", default="", help="Or their mobile number: the OA is asked the id.")
@click.option("--oa-dept-id", default="", help="The user's department id in the OA.")
def link_user(connection_name: str, username: str, oa_user_id: str, mobile: str,
              oa_dept_id: str) -> None:
    """Link a CRM user to their OA identity (approvals start and notices go under it)."""
    from ..approvals.mapping import link_user as link

    if not oa_user_id and not mobile:
        raise click.UsageError("Give --oa-user-id or --mobile.")
    if not oa_user_id:
        oa_user_id = _user_id_by_mobile(connection_name, mobile.strip())
    row = link(db.session, connection_name, username, oa_user_id, oa_dept_id)
    row.mobile = mobile.strip()[:30] or row.mobile
    db.session.commit()
    click.echo(f"Linked {username} to {oa_user_id} on {connection_name}")


def _user_id_by_mobile(connection_name: str, mobile: str) -> str:
    from ..org.directory import user_id_by_mobile
    from ..protocol.api_errors import VendorError
    from ..tokens.client import OaClient

    connection = services.find_connection(db.session, connection_name, active_only=False)
    if connection is None:
        raise click.ClickException(f"There is no OA connection named {connection_name}.")
    try:
        found = user_id_by_mobile(OaClient(db.session, connection), mobile)
    except VendorError as failed:
        raise click.ClickException(f"The OA did not answer: {failed}") from None
    if not found:
        raise click.ClickException(f"Nobody in the OA has the mobile number {mobile}.")
    return found


@oa.command("map-approval")
@click.option("--connection", "connection_name", required=True)
@click.option("--definition", required=True, help="The approval definition's name or id.")
@click.option("--process-code", required=True,
              help="DingTalk processCode, WeCom template_id or Feishu approval_code.")
@click.option("--fields", default="{}",
              help='The OA form fields as JSON: {"标题": "title", "金额": "amount"}.')
def map_approval(connection_name: str, definition: str, process_code: str,
                 fields: str) -> None:
    """Decide the approvals of a definition in the OA."""
    from ..approvals.mapping import map_definition

    try:
        field_map = json.loads(fields)
    except ValueError:
        raise click.BadParameter("not JSON", param_hint="--fields") from None
    map_definition(db.session, connection_name, definition, process_code, field_map)
    db.session.commit()
    click.echo(f"Approvals of {definition} are decided in {connection_name} ({process_code})")


def cli_commands() -> list[click.Command]:
    """The ``crm oa`` group, with the commands of the notices and the org sync."""
    from ..notices.cli import robot_command, route_command
    from ..org.tasks import sync_org_command

    for command in (robot_command, route_command, sync_org_command):
        oa.add_command(command)
    return [oa]
