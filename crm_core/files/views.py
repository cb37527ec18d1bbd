"""The attachments panel of record pages: list, upload and delete, refreshed with htmx.

A plugin shows it on a record's page with one call, ``{{ crm_attachments(kind, record_id) }}``
(or the macro in ``core/files/macros.html``). The panel's form posts to these routes; with
htmx the answer is the panel again (a refused file's reason on the field, status 200 so
htmx swaps it in); without htmx the browser goes back to the record's page, or gets the
panel with the error (400). Downloads answer from ``/attachments/<id>/download``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import inspect, select

from ..api.pagination import paginate
from ..auth.permissions import require_permission
from ..db import get_session
from ..edge.marks import upload_limit
from ..edge.paths import same_site_path
from ..errors import ConfigError, DomainError
from ..rbac.principal import can
from ..rbac.scope import scoped
from ..rbac.users import user_names
from . import kinds, service, storage
from .access import EDIT, VIEW
from .api import body_limit_mb, visible_attachment
from .forms import DeleteForm, UploadForm
from .serving import file_response

bp = Blueprint("core_files", __name__)
PANEL_SIZE = 100  # newest files shown on a record's page
PANEL = "core/files/_panel.html"


@bp.record_once
def _setup(state: Any) -> None:
    """Collect the attachment kinds and check the size setting when the app is built."""
    app: Flask = state.app
    try:
        megabytes = float(app.config.get("CRM_MAX_UPLOAD_MB", 20))
    except (TypeError, ValueError):
        megabytes = -1
    if megabytes <= 0:
        raise ConfigError("CRM_MAX_UPLOAD_MB must be a positive number, not "
                          f"{app.config.get('CRM_MAX_UPLOAD_MB')!r}")
    app.config["CRM_MAX_UPLOAD_MB"] = megabytes
    kinds.register_kinds(app)
    app.jinja_env.globals["crm_attachments"] = attachments_panel


@bp.app_template_filter("file_size")
def file_size(size: int | None) -> str:
    """``{{ 2048|file_size }}``: ``2 KB``; bytes, KB, MB or GB with one decimal at most."""
    value = float(size or 0)
    for unit in ("B", "KB", "MB"):
        if value < 1024:
            return f"{format_decimal(value, format='#,##0.#')} {unit}"
        value /= 1024
    return f"{format_decimal(value, format='#,##0.#')} GB"


def _record_visible(kind: kinds.AttachmentKind, record_id: int) -> bool:
    key = inspect(kind.model).primary_key[0]
    statement = scoped(select(key).where(key == record_id), kind.model)
    return get_session().scalar(statement) is not None


def _panel(kind_name: str, record_id: int, *, form: UploadForm | None = None,
           back: str | None = None) -> str:
    """The panel's HTML (the caller checked the record)."""
    session = get_session()
    page = paginate(session, service.attachments_of(kind_name, record_id), descending=True,
                    limit=PANEL_SIZE, cursor=None)
    names = user_names(session, [item.uploaded_by_id for item in page.items])
    may_edit = can(EDIT) and kinds.may_edit(kind_name)
    form = form or UploadForm(formdata=None, next=back)
    return render_template(
        PANEL, kind=kind_name, record_id=record_id, items=page.items, more=bool(page.next_cursor),
        names=names, may_edit=may_edit, form=form,
        back=back or form.next.data or "",
        max_mb=format_decimal(storage.max_upload_mb(), format="#,##0.##"),
        anchor=f"attachments-{kind_name.replace('.', '-')}-{record_id}")


def attachments_panel(kind: str, record_id: int) -> Markup:
    """``{{ crm_attachments("customers.customer", customer.id) }}``: the files panel of a
    record, or nothing when the user may not see the record's files."""
    found = kinds.attachment_kinds().get(kind)
    if (found is None or not current_user.is_authenticated or not can(VIEW)
            or not can(found.view_permission) or not _record_visible(found, record_id)):
        return Markup("")
    return Markup(_panel(kind, record_id, back=request.full_path if request.query_string
                         else request.path))


@bp.get("/attachments/<kind>/<int:record_id>")
@require_permission(VIEW)
def panel(kind: str, record_id: int) -> Any:
    """The files panel of one record (htmx refreshes it)."""
    kinds.record_or_404(kind, record_id)
    return _panel(kind, record_id, back=same_site_path(request.args.get("next")))


@bp.post("/attachments/<kind>/<int:record_id>")
@upload_limit(body_limit_mb)
@require_permission(EDIT)
def upload(kind: str, record_id: int) -> Any:
    """Attach the chosen file; the panel again (htmx) or back to the record's page."""
    kinds.record_or_404(kind, record_id, edit=True)
    form = UploadForm()
    back = same_site_path(form.next.data)
    if form.validate_on_submit():
        session = get_session()
        upload_file = form.file.data
        try:
            attachment = service.attach(
                session, kind=kind, record_id=record_id, stream=upload_file.stream,
                file_name=upload_file.filename, user_id=current_user.id)
        except DomainError as error:
            session.rollback()
            form.file.errors = [str(error)]
        else:
            session.commit()
            if not _htmx() and back:
                flash(_("The file %(name)s was attached.", name=attachment.file_name),
                      "success")
                return redirect(back)
            form = UploadForm(formdata=None, next=back)
    status = 400 if form.errors and not _htmx() else 200
    return _panel(kind, record_id, form=form, back=back), status


@bp.get("/attachments/<int:attachment_id>/download")
@require_permission(VIEW)
def download(attachment_id: int) -> Any:
    """Download a file of a record the user may see."""
    return file_response(visible_attachment(attachment_id))


@bp.post("/attachments/<int:attachment_id>/delete")
@require_permission(EDIT)
def delete(attachment_id: int) -> Any:
    """Delete a file (the form asks first); the panel again (htmx) or back to the page."""
    attachment = visible_attachment(attachment_id, edit=True)
    form = DeleteForm()
    if not form.validate_on_submit():
        abort(400)
    kind, record_id, name = attachment.kind, attachment.record_id, attachment.file_name
    session = get_session()
    sha256 = service.delete_attachment(session, attachment)
    session.commit()
    service.release_unused(session, sha256)
    back = same_site_path(form.next.data)
    if not _htmx() and back:
        flash(_("The file %(name)s was deleted.", name=name), "success")
        return redirect(back)
    return _panel(kind, record_id, back=back)


def _htmx() -> bool:
    return request.headers.get("HX-Request") == "true"
