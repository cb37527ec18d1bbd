"""The import wizard: upload → reading the header (a job) → column mapping and settings →
check (dry run, a job) → import (a job) → result with the bad rows, their CSV and undo (a
job); and the list of imports.

The web request never opens the uploaded file: it stores it and queues a job, so a hostile
workbook can only cost a worker its limits (``crm_core.tabular``), never a web worker. An
import is seen only by the user who started it (and superusers); anyone else gets 404.
"""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import BooleanField, RadioField, SelectField, StringField
from wtforms.validators import Length, Optional

from crm_core.toolkit import DomainError, db, paginate, require_permission, upload_limit

from .blueprint import bp
from .import_files import FIELDS, MULTI_FIELDS, ImportFileError, file_kind
from .import_jobs import start_import_job
from .import_settings import (
    IMPORT_PERMISSION,
    check_settings,
    create_upload,
    import_folder,
    save_template,
)
from .import_undo import UNDO_REPORT, check_undoable
from .models import CustomerImport, ImportTemplate

PAGE = 100  # bad rows a page
WORKING = ("reading", "running", "undoing")  # a job works on the import
MODE_LABELS = {"insert": _l("Insert only: a row whose key exists is an error"),
               "upsert": _l("Upsert: update the existing customer's filled-in fields"),
               "skip": _l("Skip duplicates: leave existing customers alone")}
KEY_LABELS = {"": _l("No key (insert everything)"), "code": _l("Code"),
              "uscc": _l("Unified social credit code"), "phone": _l("Phone"),
              "email": _l("Email")}


class UploadForm(FlaskForm):
    """Step 1: the file, and optionally a saved mapping template."""

    file = FileField(_l("CSV or Excel file"), validators=[FileRequired(_l("Choose a file."))])
    template = SelectField(_l("Column mapping template"), coerce=int, default=0)


class SettingsForm(FlaskForm):
    """Step 2: settings; the mapping's selects (``col_<n>``) are added per file."""

    mode = RadioField(_l("When a customer exists"), choices=list(MODE_LABELS.items()),
                      default="insert")
    key = SelectField(_l("Key that finds an existing customer"),
                      choices=list(KEY_LABELS.items()), default="")
    all_or_nothing = BooleanField(_l("All or nothing: import nothing if any row is bad"))
    create_missing = BooleanField(_l("Create the customer types and tags the file names "
                                     "that do not exist yet"), default=True)
    template_name = StringField(_l("Save this mapping as a template named"),
                                validators=[Optional(), Length(max=100)])


def _settings_form(imp: CustomerImport) -> SettingsForm:
    headers, fields = imp.mapping["headers"], imp.mapping["fields"]
    choices = [("", _("(do not import)")), *((name, str(label)) for name, label in FIELDS.items())]

    class MappingForm(SettingsForm):
        pass

    for index, header in enumerate(headers):
        setattr(MappingForm, f"col_{index}", SelectField(header or _("(no header)"),
                                                         choices=choices,
                                                         default=fields[index]))
    return MappingForm(data={"mode": imp.mode, "key": imp.key or "",
                             "all_or_nothing": imp.all_or_nothing,
                             "create_missing": imp.mapping.get("create_missing", True)}
                       if request.method == "GET" else None)


def _visible_import(import_id: int) -> CustomerImport:
    """The import if the current user started it (or is a superuser); 404 otherwise."""
    imp = db.session.get(CustomerImport, import_id)
    if imp is None or not (current_user.is_superuser or imp.user_id == current_user.id):
        abort(404)
    return imp


def _max_mb() -> int:
    return int(current_app.config.get("CRM_CUSTOMERS_IMPORT_MAX_MB", 100))


def _max_bytes() -> int:
    return _max_mb() * 1024 * 1024


@bp.get("/imports")
@require_permission(IMPORT_PERMISSION)
def imports():  # type: ignore[no-untyped-def]
    """The user's imports, newest first (everyone's for a superuser)."""
    query = select(CustomerImport)
    if not current_user.is_superuser:
        query = query.where(CustomerImport.user_id == current_user.id)
    page = paginate(db.session, query, descending=True)  # ?limit= and ?cursor= of the request
    return render_template("customers/import_list.html", page=page)


@bp.route("/imports/new", methods=["GET", "POST"])
@upload_limit(lambda: _max_mb() + 1)  # the form says "too large" up to 1 MB over the limit
@require_permission(IMPORT_PERMISSION)
def import_upload():  # type: ignore[no-untyped-def]
    """Step 1: upload a CSV or XLSX file. It is stored unread; a job reads its header."""
    form = UploadForm()
    templates = db.session.scalars(select(ImportTemplate).where(
        ImportTemplate.owner_id == current_user.id).order_by(ImportTemplate.name)).all()
    form.template.choices = [(0, _("Guess from the headers")),
                             *((template.id, template.name) for template in templates)]
    if request.content_length and request.content_length > _max_bytes():
        form.file.errors = [_("The file is larger than %(size)d MB; split it or use the "
                              "command line (crm customers import).", size=_max_mb())]
    elif form.validate_on_submit():
        upload = form.file.data
        head = upload.stream.read(8)
        upload.stream.seek(0)
        try:
            if not head:
                raise ImportFileError(_("The file is empty: it has no header row and no "
                                        "customers."))
            kind = file_kind(upload.filename or "", head)
        except ImportFileError as exc:
            form.file.errors = [str(exc)]
        else:
            imp = create_upload(db.session, upload.stream, upload.filename or "", kind,
                                user_id=current_user.id, template_id=form.template.data or None)
            db.session.commit()
            _start(imp, step="read", before="failed")
            return redirect(url_for("customers.import_detail", import_id=imp.id))
    status = 400 if form.errors or form.file.errors else 200
    return render_template("customers/import_upload.html", form=form,
                           max_mb=_max_mb()), status


def _mapping_errors(headers: list[str], fields: list[str]) -> list[str]:
    errors = []
    for field, count in ((field, fields.count(field)) for field in set(fields) if field):
        if count > 1 and field not in MULTI_FIELDS:
            columns = ", ".join(h for h, f in zip(headers, fields, strict=False) if f == field)
            errors.append(_("%(field)s is chosen for several columns (%(columns)s); choose it "
                            "for one.", field=FIELDS[field], columns=columns))
    return errors


@bp.route("/imports/<int:import_id>", methods=["GET", "POST"])
@require_permission(IMPORT_PERMISSION)
def import_detail(import_id: int):  # type: ignore[no-untyped-def]
    """Step 2 (mapping and settings, then "Check"), the check's and the run's results."""
    imp = _visible_import(import_id)
    form = _settings_form(imp) if imp.status in ("uploaded", "checked") \
        and imp.mapping.get("headers") else None
    errors: list[str] = []
    if form is not None and form.validate_on_submit():
        headers = imp.mapping["headers"]
        fields = [form[f"col_{index}"].data for index in range(len(headers))]
        key = form.key.data or None
        errors = _mapping_errors(headers, fields)
        try:
            if not errors:
                check_settings(fields, form.mode.data, key)
        except DomainError as exc:
            errors.append(str(exc))
        if not errors:
            imp.mapping = {**imp.mapping, "fields": fields,
                           "create_missing": bool(form.create_missing.data)}
            imp.mode, imp.key, imp.all_or_nothing = form.mode.data, key, form.all_or_nothing.data
            if request.form.get("action") == "save_template":
                try:
                    save_template(db.session, current_user.id, form.template_name.data or "",
                                  headers, fields)
                except DomainError as exc:
                    form.template_name.errors = [str(exc)]
                    db.session.rollback()
                    return _detail_page(imp, form, errors), 400
                db.session.commit()
                flash(_("The mapping was saved as the template %(name)s.",
                        name=form.template_name.data), "success")
                return redirect(url_for("customers.import_detail", import_id=imp.id))
            _start(imp, step="check", before="uploaded")
            return redirect(url_for("customers.import_detail", import_id=imp.id))
    if form is not None and form.errors:
        errors += [f"{form[name].label.text}: {message}" for name, messages in form.errors.items()
                   if name != "template_name" for message in messages]
    status = 400 if errors or (form is not None and form.errors) else 200
    return _detail_page(imp, form, errors), status


def _detail_page(imp: CustomerImport, form: SettingsForm | None, errors: list[str]) -> str:
    page = max(request.args.get("page", 1, type=int), 1)
    problems, more = _problems(imp, page)
    fields = imp.mapping["fields"]
    return render_template(
        "customers/import_detail.html", imp=imp, form=form, errors=errors,
        sample=imp.mapping.get("sample", []) if form is not None else [], problems=problems,
        page=page, more=more, skipped=_undo_skipped(imp), working=WORKING,
        field_labels=FIELDS, mode_labels=MODE_LABELS, key_labels=KEY_LABELS,
        mapped=[(header, FIELDS[field]) for header, field
                in zip(imp.mapping["headers"], fields, strict=False) if field])


def _problems(imp: CustomerImport, page: int) -> tuple[list[list[str]], bool]:
    """One page of the check list (row, level, message) and whether more follow."""
    path = import_folder(imp.id) / "checks.csv"
    if not path.is_file() or imp.status in ("uploaded", "reading", "running"):
        return [], False
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(itertools.islice(csv.reader(handle), (page - 1) * PAGE, page * PAGE + 1))
    return rows[:PAGE], len(rows) > PAGE


def _undo_skipped(imp: CustomerImport) -> list[list[str]]:
    """The first rows undo left alone: customer id ("" when unseen), name, reason."""
    path = import_folder(imp.id) / UNDO_REPORT
    if imp.status != "undone" or not path.is_file():
        return []
    with open(path, encoding="utf-8", newline="") as handle:
        return list(itertools.islice(csv.reader(handle), PAGE))


@bp.post("/imports/<int:import_id>/run")
@require_permission(IMPORT_PERMISSION)
def import_run(import_id: int):  # type: ignore[no-untyped-def]
    """Step 4: run a checked import as a background job."""
    imp = _visible_import(import_id)
    if imp.status != "checked":
        flash(_("Check the import before running it."), "error")
        return redirect(url_for("customers.import_detail", import_id=imp.id))
    _start(imp, step="run", before="checked")
    return redirect(url_for("customers.import_detail", import_id=imp.id))


def _start(imp: CustomerImport, *, step: str, before: str) -> None:
    """Mark the import as worked on and queue the job's ``step``; back to ``before`` if the
    job cannot be queued."""
    imp.status = {"read": "reading", "undo": "undoing"}.get(step, "running")
    db.session.commit()
    job = start_import_job(imp, owner_id=current_user.id, dry_run=step == "check", step=step,
                           locale=str(get_locale() or "") or None)
    imp.job_id = job.id
    if job.state == "failed":
        imp.status = before
        flash(_("The background job could not be started: %(error)s", error=job.error_text),
              "error")
    db.session.commit()


@bp.get("/imports/<int:import_id>/errors.csv")
@require_permission(IMPORT_PERMISSION)
def import_errors(import_id: int):  # type: ignore[no-untyped-def]
    """The bad rows as CSV (UTF-8 with BOM): the original columns, the row and the reason."""
    imp = _visible_import(import_id)
    path = import_folder(imp.id) / "errors.csv"
    if not path.is_file():
        abort(404)
    name = f"{Path(imp.filename).stem}-errors.csv"
    return send_file(path, mimetype="text/csv", as_attachment=True, download_name=name)


@bp.route("/imports/<int:import_id>/undo", methods=["GET", "POST"])
@require_permission(IMPORT_PERMISSION)
def import_undo(import_id: int):  # type: ignore[no-untyped-def]
    """Undo a finished import (a job) after a confirmation that says what it takes back."""
    imp = _visible_import(import_id)
    try:
        check_undoable(imp)
        if imp.status == "undoing":
            raise DomainError(_("This import is being undone."))
    except DomainError:
        flash(_("This import cannot be undone (it was undone already, or has not run)."),
              "error")
        return redirect(url_for("customers.import_detail", import_id=imp.id))
    form = FlaskForm()
    if form.validate_on_submit():
        _start(imp, step="undo", before=imp.status)
        return redirect(url_for("customers.import_detail", import_id=imp.id))
    return render_template("customers/import_undo.html", imp=imp, form=form)
