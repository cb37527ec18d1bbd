"""The list page's forms: the filter form (GET, bookmarkable), "save as segment" and the
bulk action form with its confirmation step."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..records.fields import AMOUNT_MAX
from ..records.queries import SORTS, check_filter
from ..validation import FieldError
from .bulk_actions import ACTIONS

PAGE_SIZES = (20, 50, 100)
TEXT_FILTERS = ("industry", "province", "city", "level", "status")
CHOICE_FILTERS = ("customer_type_id", "owner_id", "tag_id", "kind")
AMOUNT_FILTERS = ("amount_min", "amount_max")
DATE_FILTERS = ("created_from", "created_to", "last_contact_from", "last_contact_to")
# The customers one import created (its result page links here); not in the filter panel.
FILTER_FIELDS = (*TEXT_FILTERS, *CHOICE_FILTERS, *AMOUNT_FILTERS, *DATE_FILTERS, "import_id")


def optional_int(value: Any) -> int | None:
    """A select's value as an int, or None for "any" (the empty choice)."""
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1  # matches no choice: the field reports "Not a valid choice"


def _any() -> SelectChoice:
    return SelectChoice("", _l("Any"))


def _options(rows: list[tuple[Any, Any]]) -> list[SelectChoice]:
    """Select options from database rows ``(id, label)``."""
    return [SelectChoice(value, label) for value, label in rows]


class FilterForm(FlaskForm):
    """The list's filters and view settings; read from the query string (no CSRF: GET)."""

    class Meta:
        csrf = False

    q = StringField(_l("Quick search"), validators=[Optional(), Length(max=200)])
    customer_type_id = SelectField(_l("Type"), coerce=optional_int)
    kind = SelectField(_l("Kind"), default="", choices=[
        SelectChoice("", _l("Any")), SelectChoice("company", _l("Company")),
        SelectChoice("person", _l("Person"))])
    industry = StringField(_l("Industry"), validators=[Optional(), Length(max=100)])
    province = StringField(_l("Province"), validators=[Optional(), Length(max=50)])
    city = StringField(_l("City"), validators=[Optional(), Length(max=50)])
    tag_id = SelectField(_l("Tag"), coerce=optional_int)
    owner_id = SelectField(_l("Owner"), coerce=optional_int)
    level = StringField(_l("Level"), validators=[Optional(), Length(max=20)])
    status = StringField(_l("Status"), validators=[Optional(), Length(max=20)])
    amount_min = DecimalField(_l("Amount from"), places=None,
                              validators=[Optional(), NumberRange(min=0, max=AMOUNT_MAX)])
    amount_max = DecimalField(_l("Amount to"), places=None,
                              validators=[Optional(), NumberRange(min=0, max=AMOUNT_MAX)])
    created_from = DateField(_l("Created from"), validators=[Optional()])
    created_to = DateField(_l("Created to"), validators=[Optional()])
    last_contact_from = DateField(_l("Last contact from"), validators=[Optional()])
    last_contact_to = DateField(_l("Last contact to"), validators=[Optional()])
    import_id = IntegerField(_l("Created by import"), validators=[Optional()])
    sort = SelectField(_l("Sort by"), default="updated",
                       choices=[SelectChoice("updated", _l("Updated")),
                                SelectChoice("created", _l("Created")),
                                SelectChoice("name", _l("Name")),
                                SelectChoice("amount", _l("Amount"))])
    order = SelectField(_l("Order"), default="desc",
                        choices=[SelectChoice("desc", _l("Descending")),
                                 SelectChoice("asc", _l("Ascending"))])
    size = SelectField(_l("Per page"), coerce=int, default=PAGE_SIZES[0],
                       choices=[SelectChoice(size, str(size)) for size in PAGE_SIZES])

    def set_choices(self, types: list[tuple[int, str]], tags: list[tuple[int, str]],
                    owners: list[tuple[int, str]],
                    custom_sorts: list[tuple[str, str]] | None = None) -> None:
        """Fill the select fields from the database rows (id, label); ``custom_sorts`` are
        the custom fields the list may sort by (``custom.<key>``, label)."""
        self.sort.choices = [*self.sort.choices, *_options(custom_sorts or [])]
        self.customer_type_id.choices = [_any(), *_options(types)]
        self.tag_id.choices = [_any(), *_options(tags)]
        self.owner_id.choices = [_any(), *_options(owners)]

    def validate(self, extra_validators: Any = None) -> bool:
        """The fields' own checks, the query's own check of each filter (so a value the
        list would refuse is an error here), then ranges that run backwards."""
        valid = super().validate(extra_validators)
        for name in FILTER_FIELDS:
            field = self[name]
            if field.errors or field.data in (None, ""):
                continue
            try:
                check_filter(name, str(field.data) if name in AMOUNT_FILTERS else field.data)
            except FieldError as error:
                field.errors = [*field.errors, str(error)]
                valid = False
        for low, high in (("amount_min", "amount_max"), ("created_from", "created_to"),
                          ("last_contact_from", "last_contact_to")):
            first, last = self[low], self[high]
            if first.errors or last.errors:  # a refused value (NaN…) is not compared
                continue
            if first.data is not None and last.data is not None and first.data > last.data:
                last.errors = [*last.errors, _l("Must not be before the “from” value.")]
                valid = False
        return valid

    def filters(self) -> dict[str, Any]:
        """The filters of ``services.list_customers`` from the fields that are set and valid
        (a field with an error is left out rather than guessed)."""
        filters: dict[str, Any] = {}
        for name in FILTER_FIELDS:
            field = self[name]
            if field.errors or field.data in (None, ""):
                continue
            value = field.data.strip() if isinstance(field.data, str) else field.data
            if value in ("", None):
                continue
            filters[name] = str(value) if name in AMOUNT_FILTERS else value
        if getattr(self, "custom_filters", None):  # checked by listing/custom.py
            filters["custom"] = dict(self.custom_filters)
        return filters

    def filter_errors(self) -> dict[str, list[str]]:
        """The errors of the filter fields (not of sort, order, page size or search)."""
        errors = {name: list(self[name].errors) for name in FILTER_FIELDS if self[name].errors}
        errors.update({name: [text] for name, text in getattr(self, "custom_errors", {}).items()})
        return errors

    def view_settings(self) -> tuple[str, bool, int]:
        """``(sort, descending, page size)``; defaults where a value is not valid."""
        # a custom field's sort (custom.<key>) is among the choices only when the user may
        # sort by it (views.filter_form)
        known = self.sort.data in SORTS or str(self.sort.data).startswith("custom.")
        sort = self.sort.data if not self.sort.errors and known else "updated"
        size = self.size.data if not self.size.errors and self.size.data in PAGE_SIZES \
            else PAGE_SIZES[0]
        return sort, self.order.data != "asc", size


class SegmentForm(FlaskForm):
    """Save the list's current filters as a segment."""

    name = StringField(_l("Segment name"), validators=[DataRequired(), Length(max=100)])
    shared = BooleanField(_l("Share with everyone"))
    filters_qs = HiddenField()


class BulkForm(FlaskForm):
    """A bulk action: which, on what (the ticked rows or every match), and its value.

    The list page posts the first three fields; the confirmation page shows the count and
    asks for the value, then posts everything again with ``step=run``.
    """

    action = SelectField(_l("Action"), choices=[SelectChoice(name, action.label)
                                                for name, action in ACTIONS.items()])
    scope = RadioField(_l("Apply to"), default="selected",
                       choices=[SelectChoice("selected", _l("The selected customers")),
                                SelectChoice("all", _l("Every customer matching the filters"))])
    ids = HiddenField()
    filters_qs = HiddenField()
    page_qs = HiddenField()  # the page of the list the action started from, to come back to
    step = HiddenField(default="confirm")
    owner_id = SelectField(_l("New owner"), coerce=optional_int)
    tag_id = SelectField(_l("Tag"), coerce=optional_int)
    customer_type_id = SelectField(_l("New type"), coerce=optional_int)
    fmt = SelectField(_l("File format"), choices=[SelectChoice("csv", "CSV"),
                                                  SelectChoice("xlsx", "Excel (XLSX)")])

    def set_choices(self, types: list[tuple[int, str]], tags: list[tuple[int, str]],
                    owners: list[tuple[int, str]]) -> None:
        """Fill the value selects from the database rows (id, label)."""
        choose = SelectChoice("", _l("Choose…"))
        self.owner_id.choices = [choose, *_options(owners)]
        self.tag_id.choices = [choose, *_options(tags)]
        self.customer_type_id.choices = [SelectChoice("", _l("No type")), *_options(types)]
