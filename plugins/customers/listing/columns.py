"""The customer list's column chooser: ``?col=industry&col=custom.segment`` (the spelling
of the generated Resource lists) picks the columns the list shows; the page's links carry
the choice as ``cols=name,industry,custom.segment``. The name is always shown.

Without a choice the list shows what it always showed: every built-in column (some only
on wider screens) and the filterable custom fields. A name the list does not know, or a
custom field the user may not see, is left out; a choice left with no known name is no
choice (the defaults)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from crm_core.toolkit import custom_fields

from ..records.custom import KIND

NAME = "name"
#: the optional built-in columns, in the table's order: (name, label)
BUILT_IN: tuple[tuple[str, Any], ...] = (
    ("code", _l("Code")), ("kind", _l("Kind")), ("type", _l("Type")),
    ("industry", _l("Industry")), ("region", _l("Region")), ("owner", _l("Owner")),
    ("tags", _l("Tags")), ("amount", _l("Amount")), ("last_contact", _l("Last contact")),
    ("updated", _l("Updated")), ("created", _l("Created")))
BUILT_IN_NAMES = tuple(name for name, _label in BUILT_IN)
NAMES_MAX = 100  # more names than this in one link is not a choice the page made
NAME_MAX = 80


@dataclass(frozen=True)
class Columns:
    """The list's columns for one request: ``built_in`` (names of ``BUILT_IN`` shown),
    ``custom`` (the custom fields shown, in their order), ``offered`` (every custom field
    the chooser offers) and ``chosen`` (False: the defaults, nothing in the links)."""

    built_in: tuple[str, ...]
    custom: list[Any]
    offered: list[Any] = field(default_factory=list)
    chosen: bool = False

    def shows(self, name: str) -> bool:
        """Whether the built-in column ``name`` (or the name) is shown."""
        return name == NAME or name in self.built_in

    def shown(self) -> dict[str, bool]:
        """Whether each built-in column is shown, by name (the list's table asks once a page,
        not once a cell)."""
        return {name: name in self.built_in for name in BUILT_IN_NAMES}

    @property
    def cols(self) -> str | None:
        """``cols=`` of the page's links (None for the defaults)."""
        if not self.chosen:
            return None
        return ",".join([NAME, *self.built_in,
                         *(f"{custom_fields.PREFIX}{item.key}" for item in self.custom)])

    def ticked(self) -> set[str]:
        """The names the chooser shows ticked."""
        return {NAME, *self.built_in,
                *(f"{custom_fields.PREFIX}{item.key}" for item in self.custom)}

    def choices(self) -> list[tuple[str, str]]:
        """``[(name, label)]`` the chooser offers besides the name: the built-in columns,
        then the custom fields."""
        locale = custom_fields.locale()
        return [(name, str(label)) for name, label in BUILT_IN] + [
            (f"{custom_fields.PREFIX}{item.key}", item.label(locale))
            for item in self.offered]


def requested(args: Mapping[str, Any]) -> set[str]:
    """The names ``?col=`` (or, when none, ``?cols=a,b``) asks for, as sent."""
    ticked = args.getlist("col") if hasattr(args, "getlist") else []
    if not ticked and args.get("col"):
        ticked = [args.get("col")]
    raw = [str(name) for name in ticked] or str(args.get("cols") or "").split(",")
    return {name.strip() for name in raw[:NAMES_MAX] if 0 < len(name.strip()) <= NAME_MAX}


def read(session: Session, user: Any, args: Mapping[str, Any]) -> Columns:
    """The columns ``args`` choose among those ``user`` may see (the chooser offers every
    custom field but long text); the defaults when they choose none the list knows."""
    visible = custom_fields.visible_fields(session, KIND, user)
    offered = [item for item in visible if item.type != "long_text"]
    raw = requested(args)
    built_in = tuple(name for name in BUILT_IN_NAMES if name in raw)
    custom = [item for item in offered if f"{custom_fields.PREFIX}{item.key}" in raw]
    if raw and (NAME in raw or built_in or custom):
        return Columns(built_in=built_in, custom=custom, offered=offered, chosen=True)
    return Columns(built_in=BUILT_IN_NAMES, offered=offered,
                   custom=[item for item in visible if item.filterable])
