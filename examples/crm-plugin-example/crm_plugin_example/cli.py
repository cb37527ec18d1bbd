"""``crm example ...`` commands."""

from __future__ import annotations

import click

from crm_core.toolkit import db

from . import services


@click.group("example")
def example() -> None:
    """The example plugin's notes."""


@example.command("add-note")
@click.argument("title")
@click.option("--body", default="", help="The note's text.")
def add_note(title: str, body: str) -> None:
    """Add a note with TITLE."""
    note = services.add_note(db.session, title, body)
    db.session.commit()
    click.echo(f"Added note {note.id}: {note.title}")


@example.command("count")
def count() -> None:
    """Print how many notes there are."""
    click.echo(services.count_notes(db.session))
