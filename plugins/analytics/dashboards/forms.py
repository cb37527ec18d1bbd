"""The dashboards' forms (WTForms, each with its CSRF token): name, sharing, the add-tile
picker, a tile's size and the bare action forms (delete, copy, move, remove)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectChoice, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from crm_core.toolkit import model_for_table

from .models import HEIGHT_LABELS, WIDTH_LABELS
from .service import NAME_MAX


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes, one per choice."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _choices(pairs: Any) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class NameForm(FlaskForm):
    """A dashboard's name (new dashboard, rename)."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=NAME_MAX)],
                       render_kw={"maxlength": NAME_MAX})


class ShareForm(FlaskForm):
    """The roles a dashboard is shared with (none: private)."""

    role_ids = MultiCheckboxField(_l("Shared with the roles"), coerce=int,
                                  validate_choice=True)


class SizeForm(FlaskForm):
    """A tile's width (grid columns of 12) and height."""

    width = SelectField(_l("Width"), coerce=int, default=6,
                        choices=_choices(WIDTH_LABELS.items()))
    height = SelectField(_l("Height"), default="m", choices=_choices(HEIGHT_LABELS.items()))


class TileForm(SizeForm):
    """The add-tile picker: a widget or a saved report (``widget:<id>``/``report:<id>``)."""

    tile = SelectField(_l("Show"), validate_choice=True,
                       validators=[DataRequired(message=_l("Choose what the tile shows."))])


def tile_choices(widgets: list[Any], reports: dict[int, str], text: Any) -> dict[str, Any]:
    """The picker's option groups: the widgets, then the saved reports."""
    groups: dict[str, Any] = {}
    if widgets:
        groups[str(_l("Widgets"))] = [SelectChoice(f"widget:{w.id}", text(w.title))
                                      for w in widgets]
    if reports:
        groups[str(_l("Saved reports"))] = [SelectChoice(f"report:{rid}", title)
                                            for rid, title in reports.items()]
    return groups


def role_choices(session: Any) -> list[tuple[int, str]]:
    """``(id, label)`` of the kernel's roles, by name."""
    role = model_for_table("core_role")
    return [(row.id, row.label or row.name) for row in
            session.execute(select(role.id, role.name, role.label).order_by(role.name))]
