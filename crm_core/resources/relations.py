"""The form fields of a resource that are not one plain input: a relation (a searchable
select of the targets the user may see) and a list of texts (a ``JSON`` column).

A relation select holds at most ``RELATION_OPTIONS`` targets, by name, plus the chosen one.
When the user may see more, a search box above it asks the resource's ``choices`` route
(``GET /<plugin>/<name>/choices?field=<field>&q=<text>``, htmx) for the matching ones, so a
relation to a million customers never draws a million options. Targets are read through
their data scope (``toolkit.scoped``); deleted (``deleted_at``) and inactive (``is_active``)
ones are left out, and a write naming one is refused (``relation_allowed``).
"""

from __future__ import annotations

import re
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import SelectField, StringField
from wtforms.validators import ValidationError
from wtforms.widgets import Select

from ..rbac.scope import scoped

RELATION_OPTIONS = 50
SEARCH_MAX = 100
LIST_MAX = 100
LIST_ITEM_MAX = 1000
_SEPARATORS = re.compile(r"[,;，；、\r\n]+")


# ---------------------------------------------------------------------------- relations


def _target(item: Any) -> tuple[Any, Any]:
    from .query import relation_target

    return relation_target(item)


def _visible(item: Any, user: Any, live: bool = True) -> Any:
    """``SELECT id, name`` of the relation's targets ``user`` may see (``live``: and may
    choose anew: not deleted, not inactive)."""
    target, label = _target(item)
    found = scoped(select(target.id, label), target, user)
    if not live:
        return found
    if hasattr(target, "deleted_at"):
        found = found.where(target.deleted_at.is_(None))
    if hasattr(target, "is_active"):
        found = found.where(target.is_active.is_(True))
    return found


def relation_options(session: Session, item: Any, user: Any, current: Any = None,
                     limit: int = RELATION_OPTIONS) -> tuple[list[tuple[int, str]], bool]:
    """``(id, name)`` of the first ``limit`` targets by name that ``user`` may see, with
    ``current`` (the chosen id) among them when it is one; and whether there are more."""
    target, label = _target(item)
    rows = [(row[0], row[1]) for row in session.execute(
        _visible(item, user).order_by(label, target.id).limit(limit + 1))]
    more = len(rows) > limit
    rows = rows[:limit]
    if isinstance(current, int) and current not in {row[0] for row in rows}:
        chosen = session.execute(_visible(item, user, live=False)
                                 .where(target.id == current)).first()
        if chosen is not None:
            rows.insert(0, (chosen[0], chosen[1]))
    return rows, more


class Options(list):  # type: ignore[type-arg]
    """A relation's ``(id, name)`` choices; ``more``: the user may see more than these (the
    page offers a search box)."""

    def __init__(self, rows: list[tuple[int, str]], more: bool) -> None:
        super().__init__(rows)
        self.more = more


def search_options(session: Session, item: Any, user: Any, text: str,
                   limit: int = RELATION_OPTIONS) -> list[tuple[int, str]]:
    """The targets ``user`` may see whose name contains ``text``, by name."""
    target, label = _target(item)
    found = _visible(item, user)
    text = text.strip()[:SEARCH_MAX]
    if text:
        found = found.where(label.icontains(text, autoescape=True))
    return [(row[0], row[1]) for row in session.execute(
        found.order_by(label, target.id).limit(limit))]


def relation_allowed(session: Session, item: Any, user: Any, value: Any,
                     current: Any = None) -> bool:
    """Whether ``value`` names a target ``user`` may choose: one in their scope, not deleted
    nor inactive unless it is the record's ``current`` value (kept as it is)."""
    target, _label = _target(item)
    found = _visible(item, user, live=value != current).where(target.id == value)
    return session.execute(found).first() is not None


def options_html(options: list[tuple[int, str]], blank: bool) -> Markup:
    """``<option>`` elements of ``options`` (the choices route's answer)."""
    parts = ['<option value="">—</option>'] if blank else []
    parts += [f'<option value="{value}">{escape(text)}</option>' for value, text in options]
    if not options:
        parts.append(f'<option value="" disabled>{escape(_l("Nothing found"))}</option>')
    return Markup("".join(parts))


class SearchSelect(Select):
    """A select with, when the field has ``search`` set, a search box above it that
    replaces the options with the matching ones as the user types (htmx)."""

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        select_html = super().__call__(field, **kwargs)
        search = getattr(field, "search", None)
        if not search:
            return select_html
        endpoint, name = search
        kwargs.setdefault("id", field.id)
        box = (f'<input type="search" class="form-control form-control-sm mb-1" '
               f'id="{escape(kwargs["id"])}-search" name="{escape(name)}-search" '
               f'autocomplete="off" maxlength="{SEARCH_MAX}" '
               f'placeholder="{escape(_l("Type to search…"))}" '
               f'aria-label="{escape(_l("Search"))}: {escape(field.label.text)}" '
               f'aria-controls="{escape(kwargs["id"])}" '
               f'hx-get="{escape(url_for(endpoint + ".choices", field=name))}" '
               f'hx-trigger="input changed delay:300ms, search" '
               f'hx-target="#{escape(kwargs["id"])}" hx-swap="innerHTML">')
        return Markup(box) + select_html


class RelationField(SelectField):
    """The select of a relation field (``SearchSelect``): its choices are set per form."""

    widget = SearchSelect()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.search: tuple[str, str] | None = None
        self.type = "SelectField"  # laid out like any select


# ---------------------------------------------------------------------------- lists of texts


def split_list(text: str) -> list[str]:
    """The values of a typed list: separated by commas, semicolons (Chinese ones too),
    enumeration commas or lines; blanks dropped."""
    return [part.strip() for part in _SEPARATORS.split(text or "") if part.strip()]


class ListTextField(StringField):
    """A list of texts typed as one text (``+86 138…, 010-…``); shown joined by commas."""

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        if isinstance(self.data, list | tuple):
            return ", ".join(str(part) for part in self.data)
        return str(self.data or "")

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist:
            self.data = split_list(str(valuelist[0] or ""))

    def pre_validate(self, form: Any) -> None:
        values = self.data or []
        if len(values) > LIST_MAX:
            raise ValidationError(str(_l("At most %(num)d values.", num=LIST_MAX)))
        if any(len(part) > LIST_ITEM_MAX for part in values):
            raise ValidationError(str(_l("At most %(num)d characters per value.",
                                         num=LIST_ITEM_MAX)))
