"""The admin page "自定义字段 / Custom fields" (System → Custom fields): the fields of each
record kind with a preview of the form, adding and changing one, archiving (after a
confirmation) and restoring. Permission ``core.custom_field.manage``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..auth.permissions import require_permission
from ..db import get_session
from ..edge.ints import INT32_MAX
from ..errors import DomainError
from ..rbac.forms import choice
from ..rbac.service import N_
from ..registry import MenuItem, Permission
from . import service, storage
from .api import MANAGE
from .forms import ConfirmForm, CustomFieldForm, fill, form_data
from .listing import custom_cells_of, custom_columns_of, custom_filter_inputs_of
from .models import CustomField
from .types import TYPES
from .values import forget, locale
from .web import fill_form, form_class_with, sections

bp = Blueprint("core_custom_fields", __name__, url_prefix="/admin/custom-fields")
PERMISSIONS = [Permission(MANAGE, N_("Manage custom fields"), N_("System"))]
MENU_ITEMS = [MenuItem(id="core.admin.custom_fields", label=_l("Custom fields"),
                       endpoint="core_custom_fields.index", permission=MANAGE,
                       icon="ui-checks", order=60, parent="core.admin")]


def _kinds() -> dict[str, storage.RecordKind]:
    return storage.record_kinds(current_app)


def _kind(name: str | None) -> storage.RecordKind:
    kinds = _kinds()
    if not kinds:
        abort(404)
    return kinds.get(name or "") or next(iter(kinds.values()))


def _field(field_id: int) -> tuple[CustomField, storage.RecordKind]:
    if not 1 <= field_id <= INT32_MAX:  # a bigger id names nothing (and overflows)
        abort(404)
    field = get_session().get(CustomField, field_id)
    if field is None or field.record_kind not in _kinds():
        abort(404)
    return field, _kinds()[field.record_kind]


def _role_choices() -> list[Any]:
    from ..rbac.models import Role

    rows = get_session().execute(select(Role.name, Role.label).order_by(Role.name))
    return [choice(row.name, _(row.label) if row.label else row.name) for row in rows]


def _form(field: CustomField | None = None) -> CustomFieldForm:
    form = CustomFieldForm()
    form.view_roles.choices = form.edit_roles.choices = _role_choices()
    if field is not None:
        if request.method == "GET":
            fill(form, field)
        form.key.data = field.key  # never changes, whatever was posted
    return form


def _show_error(form: CustomFieldForm, error: DomainError) -> None:
    name = str(getattr(error, "field", "") or "").split(".")[0]
    name = {"labels": "label_zh", "help": "help_zh"}.get(name, name)
    if name in form._fields:
        form[name].errors = [*form[name].errors, str(error)]
    else:
        form.form_errors.append(str(error))


@bp.get("/")
@require_permission(MANAGE)
def index():  # type: ignore[no-untyped-def]
    """The fields of one record kind, the archived ones, and a preview of the form."""
    kinds = _kinds()
    kind = _kind(request.args.get("kind")) if kinds else None
    session = get_session()
    active = service.fields_of(session, kind.key) if kind else []
    archived = service.fields_of(session, kind.key, archived=True) if kind else []
    preview = None
    if kind is not None:
        forget(kind.key)
        preview_class = form_class_with(ConfirmForm, session, kind.key, None)
        preview = preview_class(formdata=None)
        fill_form(preview, session, {}, new=True)
    return render_template("core/custom_fields/index.html", kinds=kinds, kind=kind,
                           active=active, archived=archived, types=TYPES, locale=locale(),
                           preview=preview, preview_sections=sections(preview) if preview
                           else [], confirm=ConfirmForm())


def _save(kind: Any, field: Any, write: Any, done: str):  # type: ignore[no-untyped-def]
    """The field form of ``kind`` (``field``: the one edited, None for a new one): on a valid
    POST ``write(session, data)`` stores it and the page goes back to the list with ``done``
    (a message taking the field's ``label``); a refusal shows under its input."""
    form = _form(field)
    if form.validate_on_submit():
        session = get_session()
        try:
            saved = write(session, form_data(form))
        except DomainError as error:
            session.rollback()
            _show_error(form, error)
        else:
            session.commit()
            flash(_(done, label=saved.label(locale())), "success")
            return redirect(url_for(".index", kind=kind.key))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("core/custom_fields/form.html", form=form, kind=kind,
                           field=field), status


@bp.route("/new", methods=["GET", "POST"])
@require_permission(MANAGE)
def create():  # type: ignore[no-untyped-def]
    """Add a field to a record kind."""
    kind = _kind(request.args.get("kind"))
    return _save(kind, None, lambda session, data: service.create_field(session, kind, data),
                 N_("Field %(label)s added."))


@bp.route("/<int:field_id>/edit", methods=["GET", "POST"])
@require_permission(MANAGE)
def edit(field_id: int):  # type: ignore[no-untyped-def]
    """Change a field: relabelling keeps the data; a type change must convert every value."""
    field, kind = _field(field_id)

    def write(session: Any, data: dict[str, Any]) -> Any:
        data.pop("key")  # a key never changes
        service.update_field(session, kind, field, data)
        return field

    return _save(kind, field, write, N_("Field %(label)s saved."))


@bp.route("/<int:field_id>/archive", methods=["GET", "POST"])
@require_permission(MANAGE)
def archive(field_id: int):  # type: ignore[no-untyped-def]
    """Ask, then archive a field (its values are kept and come back with a restore)."""
    field, kind = _field(field_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        service.archive_field(get_session(), kind, field)
        get_session().commit()
        flash(_("Field %(label)s archived; restore it to bring its values back.",
                label=field.label(locale())), "success")
        return redirect(url_for(".index", kind=kind.key))
    return render_template("core/custom_fields/confirm.html", form=form, field=field,
                           kind=kind, label=field.label(locale()))


@bp.post("/<int:field_id>/restore")
@require_permission(MANAGE)
def restore(field_id: int):  # type: ignore[no-untyped-def]
    """Restore an archived field with its values."""
    field, kind = _field(field_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    service.restore_field(get_session(), kind, field)
    get_session().commit()
    flash(_("Field %(label)s restored.", label=field.label(locale())), "success")
    return redirect(url_for(".index", kind=kind.key))


# the inputs partial (core/custom_fields/_form.html) groups a form's custom inputs with it
bp.add_app_template_global(sections, "custom_field_sections")


def custom_sections_of(record: Any) -> list[Any]:
    """A record's custom values by section for the signed-in user (the generated detail
    page's template calls it; none for a model without custom fields)."""
    from flask_login import current_user

    from .web import detail_sections

    kind = storage.kind_of_model(type(record))
    if kind is None:
        return []
    return detail_sections(get_session(), kind.key, current_user, record)


bp.add_app_template_global(custom_sections_of, "custom_sections_of")

# the generated list's custom filters and columns (core/resources/list.html)
for _name, _function in (("custom_filter_inputs_of", custom_filter_inputs_of),
                         ("custom_columns_of", custom_columns_of),
                         ("custom_cells_of", custom_cells_of)):
    bp.add_app_template_global(_function, _name)
