"""``crm i18n ...``: extract, update, compile and check the message catalogs."""

from __future__ import annotations

import click

from . import i18n_catalogs as catalogs

PLUGIN_OPTION = click.option(
    "--plugin", "plugin", default=None, metavar="NAME",
    help="A plugin's catalogs instead of the kernel's.")


def _sources(plugin: str | None) -> catalogs.Sources:
    try:
        return catalogs.find_sources(plugin)
    except catalogs.CatalogError as exc:
        raise click.ClickException(str(exc)) from None


@click.group("i18n")
def i18n() -> None:
    """Translations: extract messages, update and compile the catalogs."""


@i18n.command("extract")
@PLUGIN_OPTION
def extract(plugin: str | None) -> None:
    """Write translations/messages.pot from the Python sources and templates."""
    sources = _sources(plugin)
    path = catalogs.write_template(sources)
    count = sum(1 for message in catalogs.read_catalog(path) if message.id)
    click.echo(f"Extracted {count} messages of {sources.name} to {path}")


@i18n.command("update")
@PLUGIN_OPTION
@click.option("--locale", "locales", multiple=True, metavar="LOCALE",
              help="Only this language (repeatable); default: every translated language.")
def update(plugin: str | None, locales: tuple[str, ...]) -> None:
    """Merge new and changed messages into each language's .po file (created if missing)."""
    sources = _sources(plugin)
    for path in catalogs.update(sources, locales or catalogs.TRANSLATED_LOCALES):
        locale = path.parent.parent.name
        result = catalogs.check(sources, locale)
        todo = len(result.missing) + len(result.untranslated) + len(result.fuzzy)
        click.echo(f"Updated {path}: {todo} messages to translate")


@i18n.command("compile")
@PLUGIN_OPTION
def compile_(plugin: str | None) -> None:
    """Compile .po files to .mo: the kernel's and every installed plugin's (or one plugin's)."""
    every = [_sources(plugin)] if plugin else None
    try:
        compiled = catalogs.compile_all(every)
    except catalogs.CatalogError as exc:
        raise click.ClickException(str(exc)) from None
    for path in compiled:
        click.echo(f"Compiled {path}")
    click.echo(f"{len(compiled)} catalogs compiled")



@i18n.command("check")
@PLUGIN_OPTION
def check(plugin: str | None) -> None:
    """Exit non-zero and list the msgids a catalog lacks, leaves empty or marks fuzzy."""
    sources = _sources(plugin)
    incomplete = [result for locale in catalogs.TRANSLATED_LOCALES
                  if not (result := catalogs.check(sources, locale)).complete]
    for result in incomplete:
        click.echo(result.describe())
    if incomplete:
        raise SystemExit(1)
    click.echo(f"{sources.name}: every message is translated")
