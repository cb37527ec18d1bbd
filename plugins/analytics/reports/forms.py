"""The report builder's form (WTForms): its choices follow the chosen source (measures,
dimensions, one filter per dimension of the source), so it is built per request."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from crm_core.toolkit import model_for_table

from ..sources import DATE_DIMENSIONS, Source
from .service import TITLE_MAX

PERIOD_LABELS = {"this_month": _l("This month"), "last_month": _l("Last month"),
                 "this_year": _l("This year"), "last_year": _l("Last year"),
                 "last_30_days": _l("Last 30 days"), "last_12_months": _l("Last 12 months"),
                 "custom": _l("From … to …"), "all": _l("All time")}
CHART_LABELS = {"bar": _l("Bar chart"), "line": _l("Line chart"), "pie": _l("Pie chart"),
                "table": _l("Table only")}
DATE_LABELS = {"month": _l("Month"), "week": _l("Week"), "day": _l("Day")}
FILTER_PREFIX = "filter_"


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes, one per choice."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _choices(pairs: Any) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def dimension_choices(source: Source | None) -> list[tuple[str, Any]]:
    """``(id, label)`` of every dimension of ``source`` (the date buckets first)."""
    if source is None:
        return []
    return [*((name, DATE_LABELS[name]) for name in DATE_DIMENSIONS),
            *((d.id, d.label) for d in source.dimensions)]


def role_choices(session: Any) -> list[tuple[int, str]]:
    """``(id, label)`` of the kernel's roles."""
    role = model_for_table("core_role")
    return [(row.id, row.label or row.name) for row in
            session.execute(select(role.id, role.name, role.label).order_by(role.name))]


class ReportForm(FlaskForm):
    """A saved report: title, source, measure, one or two dimensions, period, chart and with
    whom it is shared; the source's filters are added per source (``report_form``)."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=TITLE_MAX)],
                        render_kw={"maxlength": TITLE_MAX})
    source = SelectField(_l("Source"), validate_choice=True)
    measure = SelectField(_l("Measure"), validate_choice=True)
    dimension = SelectField(_l("Dimension (rows)"), validate_choice=True)
    dimension2 = SelectField(_l("Second dimension (columns)"), validate_choice=True)
    period = SelectField(_l("Period"), default="this_year",
                         choices=_choices(PERIOD_LABELS.items()))
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
    chart = SelectField(_l("Chart"), default="bar", choices=_choices(CHART_LABELS.items()))
    shared = BooleanField(_l("Share with the roles below"))
    role_ids = MultiCheckboxField(_l("Roles"), coerce=int, validate_choice=True)

    def process(self, formdata: Any = None, obj: Any = None, data: Any = None,
                extra_filters: Any = None, **kwargs: Any) -> None:
        """Fill the fields. WTForms takes a form's ``filter_<name>`` for the inline filter
        of the field ``<name>``: the input filtering by a dimension named like a builder
        field (customers' ``source``) must not be called as the source select's filter."""
        clashes = [f"{FILTER_PREFIX}{name}" for name in self._fields
                   if f"{FILTER_PREFIX}{name}" in self._fields]
        for name in clashes:
            self.__dict__[name] = None
        try:
            super().process(formdata, obj, data, extra_filters, **kwargs)
        finally:
            for name in clashes:
                self.__dict__[name] = self._fields[name]

    def filter_fields(self) -> list[Any]:
        """The source's filter fields, in the source's order."""
        return [field for field in self if field.name.startswith(FILTER_PREFIX)]

    def report_data(self) -> dict[str, Any]:
        """The fields as ``service.create_report`` takes them."""
        filters = {field.name[len(FILTER_PREFIX):]: field.data.strip()
                   for field in self.filter_fields() if (field.data or "").strip()}
        if self.period.data == "custom":
            if self.date_from.data:
                filters["date_from"] = self.date_from.data.isoformat()
            if self.date_to.data:
                filters["date_to"] = self.date_to.data.isoformat()
        shared, roles = getattr(self, "shared", None), getattr(self, "role_ids", None)
        return {"title": self.title.data, "source": self.source.data,
                "measure": self.measure.data,
                "dimensions": [name for name in (self.dimension.data, self.dimension2.data)
                               if name],
                "filters": filters, "period": self.period.data, "chart": self.chart.data,
                "shared": bool(shared and shared.data),
                "role_ids": (roles.data or []) if roles is not None else []}


def report_form(session: Any, sources: dict[str, Source], source_id: str | None,
                formdata: Any = None, data: dict[str, Any] | None = None,
                may_share: bool = False) -> ReportForm:
    """The builder form for ``source_id`` (the first source when unknown), filled from
    ``formdata`` (a POST) or ``data`` (a saved report's fields)."""
    source = sources.get(source_id or "") or next(iter(sources.values()), None)
    fields: dict[str, Any] = {}
    for dimension in source.dimensions if source else ():
        label = dimension.label
        if dimension.kind == "choice":
            fields[FILTER_PREFIX + dimension.id] = SelectField(
                label, validators=[Optional()], validate_choice=True,
                choices=_choices([("", _l("Any")), *dimension.choices.items()]))
        else:
            fields[FILTER_PREFIX + dimension.id] = StringField(
                label, validators=[Optional(), Length(max=100)],
                render_kw={"maxlength": 100, **({"inputmode": "numeric"}
                           if dimension.kind in ("user", "department", "labels") else {})},
                description=_l("Its id") if dimension.kind in ("user", "department", "labels")
                else "")
    form_class = type("BuilderForm", (ReportForm,), fields)
    form = form_class(formdata=formdata, data=data) if formdata is not None else \
        form_class(formdata=None, data=data)
    form.source.choices = _choices((key, item.label) for key, item in sources.items())
    if source is not None and formdata is not None and form.source.data not in sources:
        form.source.data = source.id
    form.measure.choices = _choices((m.id, m.label) for m in source.measures) if source else []
    dims = dimension_choices(source)
    form.dimension.choices = _choices(dims)
    form.dimension2.choices = _choices([("", _l("None")), *dims])
    roles = role_choices(session) if may_share else []
    form.role_ids.choices = _choices(roles)
    if not may_share:
        del form.shared
        del form.role_ids
    return form


def form_data(report: Any, role_ids: list[int]) -> dict[str, Any]:
    """A saved report's fields as the builder form shows them."""
    import datetime as dt

    filters = dict(report.filters or {})
    dims = list(report.dimensions or [])
    data: dict[str, Any] = {
        "title": report.title, "source": report.source, "measure": report.measure,
        "dimension": dims[0] if dims else "", "dimension2": dims[1] if len(dims) > 1 else "",
        "period": report.period, "chart": report.chart, "shared": report.shared,
        "role_ids": role_ids}
    for key in ("date_from", "date_to"):
        if filters.get(key):
            data[key] = dt.date.fromisoformat(filters.pop(key))
    data.update({FILTER_PREFIX + key: str(value) for key, value in filters.items()})
    return data

