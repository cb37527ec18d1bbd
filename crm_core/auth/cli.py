"""``crm users ...``: create the first administrator and manage users."""

from __future__ import annotations

import os

import click

from ..db import get_session
from .service import create_user, ensure_first_admin


@click.group("users")
def users() -> None:
    """Manage users."""


@users.command("ensure-admin")
@click.option("--username", default="admin", show_default=True)
def ensure_admin(username: str) -> None:
    """Create the first administrator when there are no users (password printed once).

    Takes the password from CRM_ADMIN_PASSWORD when set, else generates one.
    """
    session = get_session()
    given = os.environ.get("CRM_ADMIN_PASSWORD") or None
    created = ensure_first_admin(session, username, given)
    if created is None:
        click.echo("Users exist already; no administrator created.")
        return
    session.commit()
    user, password = created
    click.echo("Created the first administrator:")
    click.echo(f"  user name: {user.username}")
    click.echo("  password:  " + ("(from CRM_ADMIN_PASSWORD)" if given else
                                  f"{password}   <- shown once; change it after signing in"))


@users.command("create")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--superuser", is_flag=True, help="Grant every permission.")
def create(username: str, password: str, superuser: bool) -> None:
    """Create a user."""
    session = get_session()
    user = create_user(session, username, password, superuser=superuser)
    session.commit()
    click.echo(f"Created user {user.username} (id {user.id})")
