"""The forms of the notification pages: the channel choices, and the CSRF-only actions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SubmitField

from .registry import NotificationRegistry


class ActionForm(FlaskForm):
    """An empty form: its CSRF token confirms "mark read" and "mark all read"."""


def field_name(kind: str, channel: str) -> str:
    """The checkbox of one kind and channel (names hold no ``--``, so it cannot clash)."""
    return f"{kind}--{channel}"


class PreferencesBase(FlaskForm):
    """The channel choices: one checkbox per kind × channel (added per app)."""

    save = SubmitField(_l("Save"))
    reset = SubmitField(_l("Use the defaults"))


def preferences_form(registry: NotificationRegistry, choices: Mapping[tuple[str, str], bool],
                     **kwargs: Any) -> PreferencesBase:
    """A form with a checkbox for every kind × channel, ticked as ``choices`` say."""
    fields = {}
    for kind in registry.kind_list():
        for channel in registry.channel_list():
            fields[field_name(kind.name, channel.name)] = BooleanField(
                channel.label, default=choices.get((kind.name, channel.name), False))
    form_class = type("PreferencesForm", (PreferencesBase,), fields)
    return form_class(**kwargs)


def chosen(form: PreferencesBase, registry: NotificationRegistry) -> list[tuple[str, str]]:
    """The (kind, channel) pairs ticked in a submitted form."""
    return [(kind.name, channel.name)
            for kind in registry.kind_list() for channel in registry.channel_list()
            if form[field_name(kind.name, channel.name)].data]
