"""``crm tokens ...``: create, list and revoke API tokens from the command line."""

from __future__ import annotations

import click
from sqlalchemy import select

from ..auth.models import User
from ..db import get_session
from ..errors import DomainError
from .pagination import MAX_LIMIT, paginate
from .tokens import create_token, find_user, revoke_token, tokens_of


def _fail(message: str) -> None:
    from ..cli import fail

    fail(message)


@click.group("tokens")
def tokens() -> None:
    """Manage API tokens."""


@tokens.command("create")
@click.option("--user", "username", required=True, help="Whose token it is.")
@click.option("--name", default="", help="A label to recognise the token by.")
def create(username: str, name: str) -> None:
    """Create a token; its text is printed once, as the last line."""
    session = get_session()
    try:
        user = find_user(session, username)
        token, plain = create_token(session, user, name)
    except DomainError as error:
        _fail(str(error))
        return
    session.commit()
    label = f" {token.name!r}" if token.name else ""
    click.echo(f"Created API token {token.id}{label} for {user.username} "
               f"(prefix {token.prefix}). Copy it now; it is not shown again:")
    click.echo(plain)


@tokens.command("list")
@click.option("--user", "username", default=None, help="Only this user's tokens.")
def list_(username: str | None) -> None:
    """List tokens (never their secrets), newest first."""
    session = get_session()
    user_id = None
    if username is not None:
        try:
            user_id = find_user(session, username).id
        except DomainError as error:
            _fail(str(error))
            return
    names = dict(session.execute(select(User.id, User.username)).all())
    cursor = None
    shown = 0
    while True:
        page = paginate(session, tokens_of(user_id), descending=True, limit=MAX_LIMIT,
                        cursor=cursor)
        for token in page.items:
            if shown == 0:
                click.echo(f"{'ID':>5}  {'USER':<16} {'PREFIX':<10} {'NAME':<24} "
                           f"{'CREATED':<17} {'LAST USED':<17} STATUS")
            shown += 1
            click.echo(f"{token.id:>5}  {names.get(token.user_id, '?'):<16} "
                       f"{token.prefix:<10} {token.name[:24]:<24} {_when(token.created_at):<17} "
                       f"{_when(token.last_used_at):<17} "
                       f"{'revoked ' + _when(token.revoked_at) if token.revoked_at else 'active'}")
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    if shown == 0:
        click.echo("No API tokens.")


@tokens.command("revoke")
@click.argument("token_id", type=int)
def revoke(token_id: int) -> None:
    """Revoke token TOKEN_ID: requests carrying it are refused from now on."""
    session = get_session()
    try:
        token = revoke_token(session, token_id)
    except DomainError as error:
        _fail(str(error))
        return
    session.commit()
    click.echo(f"Revoked API token {token.id} (prefix {token.prefix}).")


def _when(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else "never"  # type: ignore[attr-defined]
