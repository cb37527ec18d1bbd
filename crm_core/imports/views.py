"""The import wizard of every declared spec: upload → reading (a job) → mapping and
settings → check (a job) → import (a job) → result with the bad rows and undo (a job).

Pages live under ``/imports/<spec id>/``. Each needs the spec's import permission; an import
is seen only by the user who started it (and superusers): anyone else gets 404 on every
page and file of it. The web request never opens the uploaded file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from ..auth.permissions import require_permission
from ..db import get_session
from ..edge.marks import upload_limit
from ..errors import DomainError
from ..rbac.principal import can
from ..tabular import TabularError, file_kind
from .files import ERRORS, import_folder, read_checks, read_undone
from .forms import SheetForm, UndoForm, UploadForm, settings_form
from .jobs import STALE_MINUTES, reset_import, resettable, start_export_job, start_import_job
from .models import ImportTemplate, TabularImport
from .service import check_settings, create_upload, import_specs, save_template
from .spec import ImportSpec

__all__ = ["bp"]

bp = Blueprint("core_imports", __name__)
PAGE = 100
WORKING = ("reading", "running", "undoing")


def _spec(spec_id: str, check: bool = True) -> ImportSpec:
    """The spec; 404 for an unknown one, 403 when ``check`` and the user may not import."""
    spec = import_specs().get(spec_id)
    if spec is None:
        abort(404)
    if check and not can(spec.import_permission):
        abort(403)
    from ..custom_fields.importing import with_custom_fields

    return with_custom_fields(spec)  # the custom fields defined now, as columns to map


def _visible(spec_id: str, import_id: int) -> tuple[ImportSpec, TabularImport]:
    """The spec and the import, if the user started it (or is a superuser): anyone else gets
    404 whatever they hold (reading: before the permission, so nothing tells an import
    exists); a write is refused 403 without the permission first."""
    spec = _spec(spec_id, check=request.method != "GET")
    imp = get_session().get(TabularImport, import_id)
    if imp is None or imp.spec != spec.id or not (
            current_user.is_superuser or imp.user_id == current_user.id):
        abort(404)
    if not can(spec.import_permission):
        abort(403)
    return spec, imp


def _max_mb(spec_id: str | None = None) -> int:
    """The upload limit in MB: the spec's own setting when it names one and it is set."""
    config = current_app.config
    spec = import_specs().get(spec_id or "") if spec_id else None
    if spec is not None and spec.max_mb_setting and spec.max_mb_setting in config:
        return int(config[spec.max_mb_setting])
    return int(config.get("CRM_IMPORT_MAX_MB", 100))


@bp.get("/imports/<spec_id>/")
@require_permission()
def import_list(spec_id: str):  # type: ignore[no-untyped-def]
    """The user's imports of this spec, newest first (everyone's for a superuser)."""
    spec = _spec(spec_id)
    query = select(TabularImport).where(TabularImport.spec == spec.id)
    if not current_user.is_superuser:
        query = query.where(TabularImport.user_id == current_user.id)
    imports = get_session().scalars(query.order_by(TabularImport.id.desc()).limit(100)).all()
    return render_template("core/imports/list.html", spec=spec, imports=imports,
                           can_export=can(spec.export_permission_name))


@bp.post("/imports/<spec_id>/export")
@require_permission()
def import_export(spec_id: str):  # type: ignore[no-untyped-def]
    """Queue an export of the spec's records the user may see (``format`` csv or xlsx);
    the job's page offers the file."""
    spec = import_specs().get(spec_id)
    if spec is None:
        abort(404)
    if not can(spec.export_permission_name):
        abort(403)
    form = UndoForm()  # CSRF only
    if not form.validate_on_submit():
        abort(400)
    try:
        job = start_export_job(spec.id, request.form.get("format", "csv"),
                               owner_id=current_user.id, locale=str(get_locale()))
    except DomainError as exc:
        flash(str(exc), "danger")
        return redirect(url_for(".import_list", spec_id=spec.id))
    return redirect(url_for("core_jobs.job_page", job_id=job.id))


@bp.route("/imports/<spec_id>/new", methods=["GET", "POST"])
@upload_limit(lambda: _max_mb(request.view_args.get("spec_id") if request.view_args
                              else None) + 1)
@require_permission()
def import_upload(spec_id: str):  # type: ignore[no-untyped-def]
    """Step 1: upload a CSV, XLSX or XLS file, stored unread; a job reads its header."""
    spec = _spec(spec_id)
    session = get_session()
    form = UploadForm()
    templates = session.scalars(select(ImportTemplate).where(
        ImportTemplate.owner_id == current_user.id, ImportTemplate.spec == spec.id)
        .order_by(ImportTemplate.name)).all()
    form.template.choices = [SelectChoice(0, _("(guess from the headers)")),
                             *(SelectChoice(item.id, item.name) for item in templates)]
    if request.content_length and request.content_length > _max_mb(spec.id) * 1024 * 1024:
        form.file.errors = [_("The file is larger than %(size)d MB; split it or use the "
                              "command line.", size=_max_mb(spec.id))]
    elif form.validate_on_submit():
        upload = form.file.data
        try:
            head = upload.stream.read(8)
            if not head:
                raise TabularError(_("The file is empty: it has no header row and no data."))
            kind = file_kind(upload.filename or "", head)
            upload.stream.seek(0)
            imp = create_upload(session, spec, upload.stream, upload.filename or "", kind,
                                user_id=current_user.id, template_id=form.template.data or None)
        except (TabularError, DomainError) as exc:
            session.rollback()
            form.file.errors = [*form.file.errors, str(exc)]
        else:
            session.commit()
            start_import_job(imp, "read", owner_id=current_user.id, locale=str(get_locale()))
            return redirect(url_for(".import_detail", spec_id=spec.id, import_id=imp.id))
    return render_template("core/imports/upload.html", spec=spec, form=form,
                           max_mb=_max_mb(spec.id)), \
        400 if form.errors or form.file.errors else 200


@bp.route("/imports/<spec_id>/<int:import_id>", methods=["GET", "POST"])
@require_permission()
def import_detail(spec_id: str, import_id: int):  # type: ignore[no-untyped-def]
    """The mapping and settings (before a run), the check's or run's result."""
    spec, imp = _visible(spec_id, import_id)
    form = settings_form(spec, imp, request.method)
    if request.method == "POST" and imp.status in ("uploaded", "checked") \
            and form.validate_on_submit():
        answer = _apply_settings(spec, imp, form)
        if answer is not None:
            return answer
    page = max(0, request.args.get("page", 0, type=int) or 0)
    checks = read_checks(import_folder(imp.id), page * PAGE, PAGE) \
        if imp.status in ("checked", "done", "failed") else []
    has_bad_rows = (import_folder(imp.id) / ERRORS).is_file() and imp.failed > 0
    undone = read_undone(import_folder(imp.id)) if imp.status == "undone" else []
    can_reset = imp.user_id == current_user.id and _stuck(imp)
    sheet_form = SheetForm(formdata=None).offer(imp) if imp.mapping.get("sheets") else None
    return render_template("core/imports/detail.html", spec=spec, imp=imp, form=form,
                           checks=checks, page=page, page_size=PAGE, working=WORKING,
                           has_bad_rows=has_bad_rows, undo_form=UndoForm(),
                           undone=undone, can_reset=can_reset, sheet_form=sheet_form), \
        400 if form.errors else 200


@bp.post("/imports/<spec_id>/<int:import_id>/sheet")
@require_permission()
def import_sheet(spec_id: str, import_id: int):  # type: ignore[no-untyped-def]
    """Read another sheet of the uploaded workbook (a job): its header, first rows and a new
    guess of the mapping replace the old ones."""
    spec, imp = _visible(spec_id, import_id)
    back = redirect(url_for(".import_detail", spec_id=spec.id, import_id=imp.id))
    form = SheetForm().offer(imp)
    if imp.status not in ("uploaded", "checked") or not imp.mapping.get("sheets"):
        flash(_("The sheet can be chosen only before the file is imported."), "warning")
        return back
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        flash(" ".join(form.sheet.errors) or _("Choose one of the workbook's sheets."),
              "danger")
        return back
    # the mapping read so far stays at hand: a sheet that cannot be read brings it back
    earlier = {key: value for key, value in imp.mapping.items() if key != "earlier"}
    imp.mapping = {**earlier, "sheet": form.sheet.data, "earlier": earlier}
    imp.status = "reading"
    get_session().commit()
    start_import_job(imp, "read", owner_id=current_user.id, locale=str(get_locale()))
    return back


def _apply_settings(spec: ImportSpec, imp: TabularImport, form: Any) -> Any:
    session = get_session()
    fields = [column.data or "" for column in form.columns()]
    headers = imp.mapping.get("headers", [])
    action = request.form.get("action")
    try:
        _check_columns(spec, headers, fields)
        check_settings(spec, fields, form.mode.data, form.key.data or None)
        if form.template_name.data or action == "save_template":
            save_template(session, spec, current_user.id, form.template_name.data or "",
                          headers, fields)
    except DomainError as exc:
        session.rollback()
        form.mode.errors = [*form.mode.errors, str(exc)]
        return None
    imp.mapping = {**imp.mapping, "fields": fields,
                   "options": {field.name[4:]: field.data for field in form.options()}}
    imp.mode, imp.key = form.mode.data, form.key.data or None
    imp.all_or_nothing, imp.create_missing = form.all_or_nothing.data, form.create_missing.data
    if action == "save_template":  # only saved: the user goes on mapping or checks later
        session.commit()
        flash(_("The mapping was saved as the template %(name)s.",
                name=form.template_name.data), "success")
        return redirect(url_for(".import_detail", spec_id=spec.id, import_id=imp.id))
    step = "run" if action == "run" and imp.status == "checked" else "check"
    session.commit()
    start_import_job(imp, step, owner_id=current_user.id, locale=str(get_locale()))
    return redirect(url_for(".import_detail", spec_id=spec.id, import_id=imp.id))


def _check_columns(spec: ImportSpec, headers: list[str], fields: list[str]) -> None:
    """DomainError when a field that takes one column is chosen for several."""
    for name in dict.fromkeys(field for field in fields if field):
        item = spec.field(name)
        if item is not None and not item.multiple and fields.count(name) > 1:
            columns = ", ".join(header for header, chosen in zip(headers, fields, strict=False)
                                if chosen == name)
            raise DomainError(_("%(field)s is chosen for several columns (%(columns)s); "
                                "choose it for one.", field=str(item.label), columns=columns))


@bp.post("/imports/<spec_id>/<int:import_id>/run")
@require_permission()
def import_run(spec_id: str, import_id: int):  # type: ignore[no-untyped-def]
    """Run a checked import with the settings it was checked with (the "Import now"
    button of the result)."""
    spec, imp = _visible(spec_id, import_id)
    if not UndoForm().validate_on_submit():  # CSRF only
        abort(400)
    if imp.status != "checked":
        flash(_("Check the file first; then import it."), "warning")
    else:
        start_import_job(imp, "run", owner_id=current_user.id, locale=str(get_locale()))
    return redirect(url_for(".import_detail", spec_id=spec.id, import_id=imp.id))


def _stuck(imp: TabularImport) -> bool:
    """``resettable`` with the configured threshold (``CRM_IMPORT_STALE_MINUTES``)."""
    minutes = int(current_app.config.get("CRM_IMPORT_STALE_MINUTES", STALE_MINUTES))
    return resettable(get_session(), imp, minutes)


@bp.route("/imports/<spec_id>/<int:import_id>/reset", methods=["GET", "POST"])
@require_permission()
def import_reset(spec_id: str, import_id: int):  # type: ignore[no-untyped-def]
    """Confirm, then set an import whose worker died back to where the wizard goes on
    (only its owner; only when its job failed or has not moved for a while)."""
    spec, imp = _visible(spec_id, import_id)
    if imp.user_id != current_user.id:
        abort(403)
    back = redirect(url_for(".import_detail", spec_id=spec.id, import_id=imp.id))
    if not _stuck(imp):
        flash(_("This import is not stuck: it can be reset only when its job failed or "
                "has not moved for a while."), "warning")
        return back
    form = UndoForm()  # CSRF only
    if form.validate_on_submit():
        reset_import(get_session(), imp, user_id=current_user.id, locale=str(get_locale()))
        flash(_("The import was reset; you can go on from here."), "success")
        return back
    return render_template("core/imports/reset.html", spec=spec, imp=imp, form=form)


@bp.get("/imports/<spec_id>/<int:import_id>/bad-rows.csv")
@require_permission()
def import_bad_rows(spec_id: str, import_id: int):  # type: ignore[no-untyped-def]
    """The bad rows (original cells, row number, reason) as CSV with a BOM."""
    spec, imp = _visible(spec_id, import_id)
    path: Path = import_folder(imp.id) / ERRORS
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype="text/csv", as_attachment=True,
                     download_name=f"import-{imp.id}-bad-rows.csv")


@bp.route("/imports/<spec_id>/<int:import_id>/undo", methods=["GET", "POST"])
@require_permission()
def import_undo(spec_id: str, import_id: int):  # type: ignore[no-untyped-def]
    """Confirm, then queue the undo job."""
    spec, imp = _visible(spec_id, import_id)
    form = UndoForm()
    if imp.undone_at is not None:
        flash(_("This import was undone already: it cannot be undone again."), "warning")
        return redirect(url_for(".import_detail", spec_id=spec.id, import_id=imp.id))
    if imp.status not in ("done", "failed") or not (imp.created or imp.updated):
        flash(_("Only an import that wrote records can be undone."), "warning")
        return redirect(url_for(".import_detail", spec_id=spec.id, import_id=imp.id))
    if form.validate_on_submit():
        start_import_job(imp, "undo", owner_id=current_user.id, locale=str(get_locale()))
        return redirect(url_for(".import_detail", spec_id=spec.id, import_id=imp.id))
    note = str(spec.undo_note) % {"created": imp.created, "updated": imp.updated} \
        if spec.undo_note else ""
    return render_template("core/imports/undo.html", spec=spec, imp=imp, form=form, note=note)
