"""The admin pages of approval definitions: list, create, edit (ordered steps, added and
removed as plain form rows), delete — or deactivate, once approvals used the definition."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..auth.models import User
from ..auth.permissions import require_permission
from ..db import get_session
from ..errors import DomainError
from ..rbac.forms import ConfirmForm
from ..rbac.models import Role
from ..registry import MenuItem
from . import definitions as service
from .forms import DefinitionForm, kind_labels, mode_labels
from .models import ApprovalDefinition
from .types import approval_conditions, approval_subjects

bp = Blueprint("core_approvals_admin", __name__, url_prefix="/admin/approvals")
MANAGE = "core.approvals.manage"
MENU_ITEMS = [MenuItem(id="core.admin.approvals", label=_l("Approval definitions"),
                       endpoint="core_approvals_admin.definitions", permission=MANAGE,
                       icon="check2-square", order=40, parent="core.admin")]
MAX_USER_CHOICES = 2000


def _choices(session: Any) -> dict[str, Any]:
    subjects = approval_subjects()
    kinds = [(kind, str(subject.label)) for kind, subject in sorted(subjects.items())]
    conditions = [(name, f"{condition.label} ({condition.kind})")
                  for name, condition in sorted(approval_conditions().items())]
    roles = [(role.name, _(role.label) if role.label else role.name)
             for role in session.scalars(select(Role).order_by(Role.label))]
    users = [(user.id, f"{user.display_name or user.username} ({user.username})")
             for user in session.scalars(select(User).where(User.is_active.is_(True))
                                         .order_by(User.username).limit(MAX_USER_CHOICES))]
    return {"kinds": kinds, "conditions": conditions, "roles": roles, "users": users}


def _form(session: Any, **kwargs: Any) -> DefinitionForm:
    form = DefinitionForm(**kwargs)
    form.set_choices(**_choices(session))
    return form


def _rows(form: DefinitionForm) -> list[dict[str, Any]]:
    return [dict(entry.data) for entry in form.steps]


def _rebuilt(session: Any, form: DefinitionForm, rows: list[dict[str, Any]]) -> DefinitionForm:
    data = {key: value for key, value in form.data.items() if key not in ("csrf_token", "steps")}
    return _form(session, formdata=None, data={**data, "steps": rows})


def _row_action(session: Any, form: DefinitionForm) -> DefinitionForm | None:
    """Add, remove or move a step row (buttons of the form); None when the form was saved."""
    rows = _rows(form)
    blank = {"label": "", "approver_kind": "role", "role_name": "", "user_ids": [],
             "mode": "any"}
    if "add_step" in request.form:
        if len(rows) >= service.MAX_STEPS:
            form.form_errors.append(_("A definition has at most %(n)d steps.",
                                      n=service.MAX_STEPS))
            return form
        return _rebuilt(session, form, [*rows, blank])
    for action in ("remove_step", "move_up"):
        value = request.form.get(action, "")
        if value.isdigit() and int(value) < len(rows):
            index = int(value)
            if action == "remove_step":
                rows.pop(index)
                rows = rows or [blank]
            elif index > 0:
                rows[index - 1], rows[index] = rows[index], rows[index - 1]
            return _rebuilt(session, form, rows)
    return None


def _posted_rows(session: Any, form: DefinitionForm) -> DefinitionForm | None:
    """The form after a row button (add, remove, move up) was pressed, else None."""
    if request.method != "POST" or not any(
            name in request.form for name in ("add_step", "remove_step", "move_up")):
        return None
    form.validate_on_submit()
    if "csrf_token" in form.errors:
        return None
    return _row_action(session, form)


def _show_error(form: DefinitionForm, error: DomainError) -> None:
    name = getattr(error, "field", "") or ""
    parts = name.split("-")
    if len(parts) == 3 and parts[0] == "steps" and parts[1].isdigit() \
            and int(parts[1]) < len(form.steps.entries):
        form.steps.entries[int(parts[1])][parts[2]].errors.append(str(error))
    elif name and name in form and name != "steps":
        form[name].errors = [*form[name].errors, str(error)]
    else:
        form.form_errors.append(str(error))


def _save(session: Any, form: DefinitionForm, definition_id: int | None) -> Any:
    steps = [service.StepInput(approver_kind=row["approver_kind"] or "", mode=row["mode"] or "",
                               label=row["label"] or "", role_name=row["role_name"],
                               user_ids=list(row["user_ids"] or []))
             for row in _rows(form)]
    try:
        definition = service.save_definition(
            session, definition_id, name=form.name.data or "",
            subject_kind=form.subject_kind.data or "", steps=steps,
            min_amount=form.min_amount.data, condition=form.condition.data or None,
            priority=form.priority.data if form.priority.data is not None else 100,
            active=form.active.data, description=form.description.data or "",
            kinds=set(approval_subjects()),
            conditions={name: c.kind for name, c in approval_conditions().items()})
    except DomainError as error:
        session.rollback()
        _show_error(form, error)
        return None
    session.commit()
    return definition


def _page(form: DefinitionForm, definition: Any) -> Any:
    status = 400 if request.method == "POST" and (
        form.errors or form.form_errors or any(e.errors for s in form.steps for e in s)) else 200
    return render_template("core/approvals/definition_form.html", form=form,
                           definition=definition, kind_labels=kind_labels(),
                           mode_labels=mode_labels()), status


@bp.get("/")
@require_permission(MANAGE)
def definitions():  # type: ignore[no-untyped-def]
    """Every approval definition, active ones first."""
    session = get_session()
    rows = service.list_definitions(session)
    steps = {row.id: service.definition_steps(session, row.id) for row in rows}
    return render_template("core/approvals/definitions.html", rows=rows, steps=steps,
                           used=service.usage_counts(session), subjects=approval_subjects(),
                           kind_labels=kind_labels(), mode_labels=mode_labels())


@bp.route("/new", methods=["GET", "POST"])
@require_permission(MANAGE)
def definition_create():  # type: ignore[no-untyped-def]
    """Add a definition with its steps."""
    session = get_session()
    form = _form(session)
    changed = _posted_rows(session, form)
    if changed is not None:
        return _page(changed, None)[0]
    if form.validate_on_submit():
        definition = _save(session, form, None)
        if definition is not None:
            flash(_("Approval definition %(name)s created.", name=definition.name), "success")
            return redirect(url_for("core_approvals_admin.definitions"))
    return _page(form, None)


@bp.route("/<int:definition_id>", methods=["GET", "POST"])
@require_permission(MANAGE)
def definition_edit(definition_id: int):  # type: ignore[no-untyped-def]
    """Change a definition and its steps (approvals under way keep the steps they had)."""
    session = get_session()
    definition = session.get(ApprovalDefinition, definition_id)
    if definition is None:
        abort(404)
    rows = [{"label": s.label, "approver_kind": s.approver_kind, "role_name": s.role_name or "",
             "user_ids": list(s.user_ids or []), "mode": s.mode}
            for s in service.definition_steps(session, definition.id)]
    form = _form(session, data={
        "name": definition.name, "subject_kind": definition.subject_kind,
        "min_amount": "" if definition.min_amount is None else str(definition.min_amount),
        "condition": definition.condition or "", "priority": definition.priority,
        "active": definition.active, "description": definition.description, "steps": rows})
    changed = _posted_rows(session, form)
    if changed is not None:
        return _page(changed, definition)[0]
    if form.validate_on_submit():
        if _save(session, form, definition.id) is not None:
            flash(_("Approval definition %(name)s saved.", name=definition.name), "success")
            return redirect(url_for("core_approvals_admin.definitions"))
    return _page(form, definition)


@bp.route("/<int:definition_id>/delete", methods=["GET", "POST"])
@require_permission(MANAGE)
def definition_delete(definition_id: int):  # type: ignore[no-untyped-def]
    """Ask, then delete a definition — or deactivate it when approvals used it."""
    session = get_session()
    definition = session.get(ApprovalDefinition, definition_id)
    if definition is None:
        abort(404)
    used = service.usage_counts(session).get(definition.id, 0)
    form = ConfirmForm()
    if form.validate_on_submit():
        name = definition.name
        if service.remove_definition(session, definition.id):
            flash(_("Approval definition %(name)s deleted.", name=name), "success")
        else:
            flash(_("Approvals used %(name)s, so it was deactivated instead of deleted.",
                    name=name), "info")
        session.commit()
        return redirect(url_for("core_approvals_admin.definitions"))
    return render_template("core/approvals/definition_delete.html", definition=definition,
                           used=used, form=form)
