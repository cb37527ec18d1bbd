"""``crm users ...``: create the first administrator, create and disable users, set passwords.

A refused change (unknown role or department, a weak password) raises ``DomainError`` before
anything is committed; ``crm`` prints it as one line on stderr and exits with code 2.
"""

from __future__ import annotations

import os

import click

from ..db import get_session
from .service import ensure_first_admin


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
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="The first password (asked twice when left out).")
@click.option("--role", "roles", multiple=True, metavar="ROLE",
              help="A role to give (repeat for several), e.g. --role sales.")
@click.option("--department", metavar="D",
              help="The department: its name, its path (\"Sales/North\") or its id.")
@click.option("--display-name", default="", help="The name shown in the UI.")
@click.option("--email", default=None, help="The user's e-mail address.")
@click.option("--superuser", is_flag=True, help="Grant every permission.")
def create(username: str, password: str, roles: tuple[str, ...], department: str | None,
           display_name: str, email: str | None, superuser: bool) -> None:
    """Create a user with roles and a department."""
    from ..rbac.departments import find_department
    from ..rbac.users import create_account

    session = get_session()
    department_id = find_department(session, department).id if department else None
    user = create_account(session, username, password, display_name=display_name,
                          email=email, department_id=department_id, roles=roles,
                          superuser=superuser)
    session.commit()
    details = []
    if roles:
        details.append("roles " + ", ".join(sorted(set(roles))))
    if department:
        details.append(f"department {department}")
    if superuser:
        details.append("superuser")
    click.echo(f"Created user {user.username} (id {user.id})"
               + (f" with {'; '.join(details)}" if details else ""))


@users.command("disable")
@click.argument("username")
def disable(username: str) -> None:
    """Stop USERNAME from signing in (their records and history stay)."""
    from ..rbac.users import disable_account, find_user

    session = get_session()
    user = disable_account(session, find_user(session, username).id)
    session.commit()
    click.echo(f"User {user.username} can no longer sign in.")


@users.command("set-password")
@click.argument("username")
@click.option("--password", prompt="New password", hide_input=True,
              confirmation_prompt=True, help="The new password (asked twice when left out).")
def set_password_command(username: str, password: str) -> None:
    """Give USERNAME a new password (the password policy applies)."""
    from ..rbac.users import find_user, reset_password

    session = get_session()
    user = reset_password(session, find_user(session, username).id, password)
    session.commit()
    click.echo(f"New password set for {user.username}.")
