"""The wizard's forms: the upload, the mapping with its settings, the undo confirmation."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, RadioField, SelectChoice, SelectField, StringField
from wtforms.validators import Length, Optional

from .models import TabularImport
from .spec import ImportSpec, option_values

__all__ = ["SettingsForm", "SheetForm", "UndoForm", "UploadForm", "settings_form"]

MODE_LABELS = {"insert": _l("Insert only: a row whose key exists is an error"),
               "upsert": _l("Upsert: update the existing record's filled-in fields"),
               "skip": _l("Skip duplicates: leave existing records alone")}


class UploadForm(FlaskForm):
    """Step 1: the file, and optionally a saved mapping template."""

    file = FileField(_l("CSV or Excel file"), validators=[FileRequired(_l("Choose a file."))])
    template = SelectField(_l("Column mapping template"), coerce=int, default=0)


class SheetForm(FlaskForm):
    """Step 2 of a workbook of several sheets: read another sheet instead."""

    sheet = SelectField(_l("Sheet of the workbook"))

    def offer(self, imp: TabularImport) -> SheetForm:
        """Offer the import's sheets, the one read chosen."""
        self.sheet.choices = [SelectChoice(name, name) for name in imp.mapping.get("sheets", [])]
        if not self.is_submitted():
            self.sheet.data = imp.mapping.get("sheet", "")
        return self


class SettingsForm(FlaskForm):
    """Step 2: settings; the mapping's selects (``col_<n>``) are added per file."""

    mode = RadioField(_l("When a record exists"),
                      choices=[SelectChoice(value, label) for value, label in MODE_LABELS.items()],
                      default="insert")
    key = SelectField(_l("Key that finds an existing record"), default="")
    all_or_nothing = BooleanField(_l("All or nothing: import nothing if any row is bad"))
    create_missing = BooleanField(_l("Create the missing values of related columns "
                                     "(types, tags)"), default=True)
    template_name = StringField(_l("Save this mapping as a template named"),
                                validators=[Optional(), Length(max=100)])

    def options(self) -> list[Any]:
        """The spec's own settings' selects (``opt_<name>``)."""
        return [self[name] for name in self._fields if name.startswith("opt_")]

    def columns(self) -> list[Any]:
        """The mapping's selects, in column order."""
        return [self[name] for name in sorted((name for name in self._fields
                                               if name.startswith("col_")),
                                              key=lambda name: int(name[4:]))]


class UndoForm(FlaskForm):
    """The undo confirmation (CSRF only)."""


def settings_form(spec: ImportSpec, imp: TabularImport, method: str) -> SettingsForm:
    """The settings form with one select per column of ``imp``'s file."""
    headers, fields = imp.mapping.get("headers", []), imp.mapping.get("fields", [])
    choices = [SelectChoice("", _("(do not import)")),
               *(SelectChoice(item.name, str(item.label)) for item in spec.fields)]

    class MappingForm(SettingsForm):
        pass

    chosen = option_values(spec, imp.mapping)
    for name, (label, option_choices) in spec.options.items():
        setattr(MappingForm, f"opt_{name}", SelectField(
            label, choices=[SelectChoice(value, str(text)) for value, text in option_choices],
            default=chosen[name]))
    for index, header in enumerate(headers):
        setattr(MappingForm, f"col_{index}", SelectField(
            header or _("(no header)"), choices=choices,
            default=fields[index] if index < len(fields) else ""))
    data = {"mode": imp.mode, "key": imp.key or "", "all_or_nothing": imp.all_or_nothing,
            "create_missing": imp.create_missing} if method == "GET" else None
    form = MappingForm(data=data)
    form.key.choices = [SelectChoice("", _("No key (insert everything)")),
                        *(SelectChoice(name, str(item.label) if (item := spec.key_field(name))
                                       else name) for name in spec.keys)]
    return form
