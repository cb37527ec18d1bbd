"""``crm privacy export|erase``: one person's data, found by e-mail and/or phone."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..db import get_session
from .identity import Person
from .service import counts_of, erase_person, export_bytes, export_person, gather, look_up

_EMAIL = click.option("--email", default=None, metavar="ADDRESS",
                      help="The person's e-mail (case and spaces do not matter).")
_PHONE = click.option("--phone", default=None, metavar="NUMBER",
                      help="The person's phone: 13812345678, +86 138 1234 5678, 010-12345678.")


@click.group("privacy")
def privacy() -> None:
    """Personal data requests (PIPL): look up, export and erase one person's data."""


def _print_counts(counts: dict[str, dict[str, int]]) -> None:
    if not counts:
        click.echo("No plugin holds data about this person.")
    for plugin, sections in counts.items():
        click.echo(f"  {plugin}: " + ", ".join(f"{name} {n}" for name, n in sections.items()))


@privacy.command("show")
@_EMAIL
@_PHONE
def show(email: str | None, phone: str | None) -> None:
    """Count what each plugin holds about the person (logged as a look-up)."""
    person = Person.from_request(email, phone)
    _print_counts(look_up(get_session(), person))


@privacy.command("export")
@_EMAIL
@_PHONE
@click.option("--to", "target", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to FILE (a .zip gets one JSON per plugin) instead of printing JSON.")
def export(email: str | None, phone: str | None, target: Path | None) -> None:
    """Everything the enabled plugins hold about the person, as JSON (logged)."""
    person = Person.from_request(email, phone)
    document = export_person(get_session(), person)
    data = export_bytes(document, as_zip=bool(target and target.suffix.lower() == ".zip"))
    if target is None:
        sys.stdout.write(data.decode("utf-8") + "\n")
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    total = sum(len(rows) for sections in document["plugins"].values()
                for rows in sections.values())
    click.echo(f"{total} records from {len(document['plugins'])} plugins written.")
    click.echo(str(target))


@privacy.command("erase")
@_EMAIL
@_PHONE
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def erase(email: str | None, phone: str | None, yes: bool) -> None:
    """Anonymise the person in every plugin, in one transaction, log it once and stop
    marketing from ever addressing them again."""
    person = Person.from_request(email, phone)
    session = get_session()
    if not yes:
        counts = counts_of(gather(session, Person(person.email, person.phone)))
        session.rollback()
        click.echo(f"About to erase {person.label}:")
        _print_counts(counts)
        click.confirm("Erase it? This cannot be undone", abort=True)
    result = erase_person(session, person)
    click.echo(f"Erasure {result.erasure_id}: {result.total} records anonymised.")
    _print_counts(result.counts)
    for note in result.notes:
        click.echo(f"Note: {note}")
    click.echo(f"Logged once, as operation log entry {result.log_entry_id}; "
               "the e-mail and phone are on the suppression list.")
