"""The upload form of the attachments panel."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField


class UploadForm(FlaskForm):
    """One file to attach; ``next`` is the page to go back to without htmx."""

    file = FileField(_l("File"), validators=[FileRequired(_l("Choose a file."))])
    next = HiddenField()


class DeleteForm(FlaskForm):
    """Deleting a file: only its CSRF token and the page to go back to."""

    next = HiddenField()
