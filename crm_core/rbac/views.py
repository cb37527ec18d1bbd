"""Admin pages: users, roles (permission matrix and data scopes), departments.

Views are thin: parse the form, call a service, commit, redirect; a refused change comes
back as an error on the field it is about.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import Form

from ..auth.permissions import require_permission
from ..db import get_session
from ..errors import DomainError
from ..registry import MenuItem
from . import departments as department_service
from . import service as role_service
from . import users as user_service
from .forms import (
    ConfirmForm,
    DepartmentForm,
    PasswordResetForm,
    RoleCreateForm,
    UserCreateForm,
    UserEditForm,
    choices,
    role_edit_form,
    scope_labels,
)
from .models import Role, UserRole
from .scope import scoped_kinds

bp = Blueprint("core_admin", __name__, url_prefix="/admin")

USERS, ROLES, DEPARTMENTS = "core.user.manage", "core.role.manage", "core.department.manage"
MENU_ITEMS: list[MenuItem] = [
    MenuItem(id="core.admin", label=_l("System"), endpoint="core_admin.index",
             permission=USERS, icon="gear", order=1000),
    MenuItem(id="core.admin.users", label=_l("Users"), endpoint="core_admin.users",
             permission=USERS, icon="people", order=10, parent="core.admin"),
    MenuItem(id="core.admin.roles", label=_l("Roles"), endpoint="core_admin.roles",
             permission=ROLES, icon="shield-lock", order=20, parent="core.admin"),
    MenuItem(id="core.admin.departments", label=_l("Departments"),
             endpoint="core_admin.departments", permission=DEPARTMENTS, icon="diagram-3",
             order=30, parent="core.admin"),
]


def _show_error(form: Form, error: DomainError) -> None:
    """Put a refused change on the field it is about, else above the form."""
    field = getattr(error, "field", None)
    if field and field in form and isinstance(form[field].errors, list):
        form[field].errors.append(str(error))
    else:
        form.form_errors.append(str(error))


_REFUSED = object()


def _commit(session: Any, form: Form, change: Any) -> Any:
    """Run ``change()`` and commit; on a DomainError roll back, show it on the form and
    return ``_REFUSED``."""
    try:
        result = change()
    except DomainError as exc:
        session.rollback()
        _show_error(form, exc)
        return _REFUSED
    session.commit()
    return result


def _page(template: str, form: Form | None = None, **context: Any) -> Any:
    status = 400 if form is not None and request.method == "POST" else 200
    return render_template(f"core/admin/{template}", form=form, **context), status


@bp.get("/")
@require_permission(USERS)
def index():  # type: ignore[no-untyped-def]
    """The System menu's own entry (shown to user managers): the users page."""
    return redirect(url_for("core_admin.users"))


# -- users ---------------------------------------------------------------------------------

def _role_choices(session: Any) -> list[tuple[str, str]]:
    roles = session.scalars(select(Role).order_by(Role.builtin.desc(), Role.label))
    # Built-in labels are English msgids the catalogs translate; custom ones come back as is.
    return [(role.name, _(role.label) if role.label else role.name) for role in roles]


@bp.get("/users")
@require_permission(USERS)
def users():  # type: ignore[no-untyped-def]
    """Users by name, searchable, 50 a page."""
    session = get_session()
    search = request.args.get("q", "").strip()
    rows, next_after = user_service.list_users(session, search, request.args.get("after"))
    roles: dict[int, list[str]] = {}
    if rows:
        for user_id, label in session.execute(
                select(UserRole.user_id, Role.label).join(Role, Role.id == UserRole.role_id)
                .where(UserRole.user_id.in_([user.id for user in rows])).order_by(Role.label)):
            roles.setdefault(user_id, []).append(label)
    return render_template("core/admin/users.html", users=rows, search=search,
                           next_after=next_after, roles=roles,
                           departments=department_service.department_labels(session),
                           first_page=not request.args.get("after"))


@bp.route("/users/new", methods=["GET", "POST"])
@require_permission(USERS)
def user_create():  # type: ignore[no-untyped-def]
    """Add a user with roles and a department."""
    session = get_session()
    form = UserCreateForm()
    form.set_choices(department_service.department_choices(session), _role_choices(session))
    if form.validate_on_submit():
        user = _commit(session, form, lambda: user_service.create_account(
            session, form.username.data, form.password.data,
            display_name=form.display_name.data, email=form.email.data,
            department_id=form.department.data, roles=form.roles.data or [],
            timezone=form.timezone.data))
        if user is not _REFUSED:
            flash(_("User %(name)s created.", name=user.username), "success")
            return redirect(url_for("core_admin.users"))
    return _page("user_form.html", form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@require_permission(USERS)
def user_edit(user_id: int):  # type: ignore[no-untyped-def]
    """Change a user's profile, department, roles and whether they may sign in."""
    session = get_session()
    user = _or_404(user_service.get_user, session, user_id)
    form = UserEditForm(data=None if request.method == "POST" else {
        "display_name": user.display_name, "email": user.email,
        "department": user.department_id, "active": user.is_active,
        "roles": role_service.user_role_names(session, user.id), "timezone": user.timezone or ""})
    form.set_choices(department_service.department_choices(session), _role_choices(session))
    if form.validate_on_submit():
        saved = _commit(session, form, lambda: user_service.update_account(
            session, user.id, display_name=form.display_name.data, email=form.email.data,
            department_id=form.department.data, roles=form.roles.data or [],
            active=form.active.data, acting_user_id=current_user.id,
            timezone=form.timezone.data))
        if saved is not _REFUSED:
            flash(_("User %(name)s saved.", name=user.username), "success")
            return redirect(url_for("core_admin.users"))
    return _page("user_form.html", form, user=user)


@bp.route("/users/<int:user_id>/password", methods=["GET", "POST"])
@require_permission(USERS)
def user_password(user_id: int):  # type: ignore[no-untyped-def]
    """Set a new password the administrator types (the password policy applies)."""
    session = get_session()
    user = _or_404(user_service.get_user, session, user_id)
    form = PasswordResetForm()
    if form.validate_on_submit():
        saved = _commit(session, form, lambda: user_service.reset_password(
            session, user.id, form.password.data))
        if saved is not _REFUSED:
            flash(_("New password set for %(name)s.", name=user.username), "success")
            return redirect(url_for("core_admin.users"))
    return _page("user_password.html", form, user=user)


@bp.route("/users/<int:user_id>/disable", methods=["GET", "POST"])
@require_permission(USERS)
def user_disable(user_id: int):  # type: ignore[no-untyped-def]
    """Ask, then stop the user from signing in."""
    session = get_session()
    user = _or_404(user_service.get_user, session, user_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            user_service.disable_account(session, user.id, acting_user_id=current_user.id)
        except DomainError as exc:
            session.rollback()
            return _confirm(form, "user", user.username, error=str(exc))
        session.commit()
        flash(_("User %(name)s can no longer sign in.", name=user.username), "success")
        return redirect(url_for("core_admin.users"))
    return _confirm(form, "user", user.username,
                    back=url_for("core_admin.user_edit", user_id=user.id))


def _confirm(form: ConfirmForm, kind: str, name: str, error: str | None = None,
             back: str | None = None) -> Any:
    """The confirmation page of a destructive action, or its refusal."""
    back = back or url_for({"user": "core_admin.users", "role": "core_admin.roles"}.get(
        kind, "core_admin.departments"))
    return render_template("core/admin/confirm.html", form=form, kind=kind, name=name,
                           error=error, back=back), 422 if error else 200


def _or_404(getter: Any, session: Any, ident: int) -> Any:
    try:
        return getter(session, ident)
    except DomainError:
        abort(404)


# -- roles ---------------------------------------------------------------------------------

@bp.get("/roles")
@require_permission(ROLES)
def roles():  # type: ignore[no-untyped-def]
    """Every role with how many users hold it."""
    session = get_session()
    rows = list(session.scalars(select(Role).order_by(Role.builtin.desc(), Role.label)))
    return render_template("core/admin/roles.html", roles=rows,
                           holders=role_service.role_user_counts(session))


@bp.route("/roles/new", methods=["GET", "POST"])
@require_permission(ROLES)
def role_create():  # type: ignore[no-untyped-def]
    """Add a custom role; its permissions are chosen on the next page."""
    session = get_session()
    form = RoleCreateForm()
    if form.validate_on_submit():
        role = _commit(session, form, lambda: role_service.create_role(
            session, form.name.data, form.label.data, form.description.data))
        if role is not _REFUSED:
            flash(_("Role %(label)s created; now choose its permissions.", label=role.label),
                  "success")
            return redirect(url_for("core_admin.role_edit", role_id=role.id))
    return _page("role_new.html", form)


def _plugin_titles() -> dict[str, str]:
    platform = current_app.extensions["crm"]
    titles = {name: record.info.title for name, record in platform.known.items()
              if record.info is not None}
    titles["core"] = _("System")
    return titles


@bp.route("/roles/<int:role_id>", methods=["GET", "POST"])
@require_permission(ROLES)
def role_edit(role_id: int):  # type: ignore[no-untyped-def]
    """A role's label and description, its permission matrix and its data scopes."""
    session = get_session()
    role = _or_404(role_service.get_role, session, role_id)
    platform = current_app.extensions["crm"]
    enabled = set(platform.permissions)
    current_scopes = role_service.role_scopes(session, role.id)
    kinds = sorted(set(scoped_kinds([m for ms in platform.models.values() for m in ms]))
                   | (set(current_scopes) - {"*"}))
    # A built-in role's label and description are English msgids: the form shows them in
    # the reader's language, and saving them unchanged keeps the msgids (so every reader
    # still sees their own language); an edited text is the role's own from then on.
    shown = {"label": _(role.label) if role.label else "",
             "description": _(role.description) if role.description else ""}
    data = None if request.method == "POST" else {
        "label": shown["label"], "description": shown["description"],
        "permissions": sorted(role_service.role_permission_names(session, role.id) & enabled)}
    if data is not None:
        data.update({f"scope_{i}": current_scopes.get(kind, "own" if kind == "*" else "")
                     for i, kind in enumerate(["*", *kinds])})
    form = role_edit_form(kinds, data=data)
    form.permissions.choices = choices([(name, name) for name in sorted(enabled)])
    if form.validate_on_submit():
        def save() -> None:
            label, description = form.label.data, form.description.data
            role_service.update_role(
                session, role.id, role.label if label == shown["label"] else label,
                role.description if description == shown["description"] else description)
            role_service.set_role_permissions(session, role.id, set(form.permissions.data or []),
                                              among=enabled)
            role_service.set_role_scopes(session, role.id, form.scopes())

        saved = _commit(session, form, save)
        if saved is not _REFUSED:
            flash(_("Role %(label)s saved.", label=_(role.label) if role.label else role.name),
                  "success")
            return redirect(url_for("core_admin.role_edit", role_id=role.id))
    return _page("role_form.html", form, role=role,
                 matrix=role_service.permission_matrix(session, enabled),
                 plugin_titles=_plugin_titles(), granted=set(form.permissions.data or []),
                 permission_labels={name: spec.label
                                    for name, (_plugin, spec) in platform.permissions.items()},
                 scope_labels=scope_labels())


@bp.route("/roles/<int:role_id>/delete", methods=["GET", "POST"])
@require_permission(ROLES)
def role_delete(role_id: int):  # type: ignore[no-untyped-def]
    """Ask, then delete a custom role nobody holds (built-in roles stay)."""
    session = get_session()
    role = _or_404(role_service.get_role, session, role_id)
    form = ConfirmForm()
    name = role.label or role.name
    if form.validate_on_submit():
        try:
            role_service.delete_role(session, role.id)
        except DomainError as exc:
            session.rollback()
            return _confirm(form, "role", name, error=str(exc))
        session.commit()
        flash(_("Role %(label)s deleted.", label=name), "success")
        return redirect(url_for("core_admin.roles"))
    return _confirm(form, "role", name, back=url_for("core_admin.role_edit", role_id=role.id))


# -- departments ---------------------------------------------------------------------------

@bp.get("/departments")
@require_permission(DEPARTMENTS)
def departments():  # type: ignore[no-untyped-def]
    """The department tree."""
    return render_template("core/admin/departments.html",
                           rows=department_service.department_tree(get_session()))


@bp.route("/departments/new", methods=["GET", "POST"])
@require_permission(DEPARTMENTS)
def department_create():  # type: ignore[no-untyped-def]
    """Add a department, under a parent or at the top."""
    session = get_session()
    form = DepartmentForm()
    form.set_choices(department_service.department_choices(session),
                     department_service.head_choices(session))
    if request.method == "GET" and request.args.get("parent", "").isdigit():
        form.parent.data = int(request.args["parent"])
    if form.validate_on_submit():
        department = _commit(session, form, lambda: department_service.set_department_head(
            session, department_service.create_department(
                session, form.name.data, form.parent.data).id, form.head.data))
        if department is not _REFUSED:
            flash(_("Department %(name)s created.", name=department.name), "success")
            return redirect(url_for("core_admin.departments"))
    return _page("department_form.html", form, department=None)


@bp.route("/departments/<int:department_id>", methods=["GET", "POST"])
@require_permission(DEPARTMENTS)
def department_edit(department_id: int):  # type: ignore[no-untyped-def]
    """Rename a department or move it (with its sub-departments) under another parent."""
    session = get_session()
    department = _or_404(department_service.get_department, session, department_id)
    form = DepartmentForm(data=None if request.method == "POST" else {
        "name": department.name, "parent": department.parent_id, "head": department.head_id})
    form.set_choices(department_service.department_choices(session, department),
                     department_service.head_choices(session))
    if form.validate_on_submit():
        saved = _commit(session, form, lambda: (department_service.update_department(
            session, department.id, form.name.data, form.parent.data),
            department_service.set_department_head(session, department.id, form.head.data)))
        if saved is not _REFUSED:
            flash(_("Department %(name)s saved.", name=department.name), "success")
            return redirect(url_for("core_admin.departments"))
    return _page("department_form.html", form, department=department)


@bp.route("/departments/<int:department_id>/delete", methods=["GET", "POST"])
@require_permission(DEPARTMENTS)
def department_delete(department_id: int):  # type: ignore[no-untyped-def]
    """Ask, then delete a department without sub-departments or users."""
    session = get_session()
    department = _or_404(department_service.get_department, session, department_id)
    form = ConfirmForm()
    name = department.name
    if form.validate_on_submit():
        try:
            department_service.delete_department(session, department.id)
        except DomainError as exc:
            session.rollback()
            return _confirm(form, "department", name, error=str(exc))
        session.commit()
        flash(_("Department %(name)s deleted.", name=name), "success")
        return redirect(url_for("core_admin.departments"))
    return _confirm(form, "department", name,
                    back=url_for("core_admin.department_edit", department_id=department.id))
