"""``crm oa robot`` and ``crm oa route``: group robots and the notification kinds they post.
The webhook and secret are read from files, like the connection secrets."""

from __future__ import annotations

from pathlib import Path

import click
from flask_babel import lazy_gettext as _l

from crm_core.toolkit import DomainError, db, record_event

from ..models import KINDS, OaRobot
from . import robots


@click.command("robot")
@click.option("--name", required=True, help="The robot's name (for routes).")
@click.option("--kind", type=click.Choice(KINDS), required=True)
@click.option("--webhook-file", type=click.Path(exists=True, dir_okay=False), required=True,
              help="A file holding the webhook URL (WeCom: the URL or the robot key).")
@click.option("--secret-file", type=click.Path(exists=True, dir_okay=False),
              help="A file holding the signing secret (DingTalk 加签, Feishu 签名校验).")
def robot_command(name: str, kind: str, webhook_file: str, secret_file: str | None) -> None:
    """Add a group robot, or change the one of this name."""
    webhook = Path(webhook_file).read_text(encoding="utf-8").strip()
    secret = Path(secret_file).read_text(encoding="utf-8").strip() if secret_file else ""
    try:
        robot = robots.save_robot(db.session, name, kind, webhook, secret)
    except DomainError as refused:
        raise click.ClickException(str(refused)) from None
    record_event("oa_robot_saved", _l("Robot %(name)s saved", name=name), model=OaRobot,
                 record_id=robot.id, changes={"kind": kind})
    db.session.commit()
    click.echo(f"Saved robot {name} ({kind})")


@click.command("route")
@click.option("--robot", "robot_name", required=True)
@click.option("--notification-kind", required=True, help="e.g. sales.order_won")
@click.option("--remove", is_flag=True, help="Stop posting this kind.")
def route_command(robot_name: str, notification_kind: str, remove: bool) -> None:
    """Post every notification of a kind to a robot's group."""
    try:
        robots.route(db.session, robot_name, notification_kind, remove=remove)
    except DomainError as refused:
        raise click.ClickException(str(refused)) from None
    db.session.commit()
    click.echo(f"{'Stopped' if remove else 'Routed'} {notification_kind} "
               f"{'from' if remove else 'to'} {robot_name}")
