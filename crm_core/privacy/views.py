"""The admin page "Personal data requests" (个人信息请求): look a person up, see what each
plugin holds, download the export, erase after typing the e-mail or phone again.

Every action is written to the operation log (look-up, export, erasure: hashes and counts,
never the clear e-mail or phone). Permission ``core.privacy.manage``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import AnyOf, Length, Optional

from ..auth.permissions import require_permission
from ..db import get_session
from ..registry import MenuItem
from ..registry import Permission as PermissionSpec
from .identity import Person, PersonError, normalise_email, normalise_phone
from .service import (
    PrivacyError,
    erase_person,
    export_bytes,
    export_person,
    look_up,
    recent_erasures,
)

bp = Blueprint("core_privacy", __name__, url_prefix="/admin/privacy")

MANAGE = "core.privacy.manage"


def N_(message: str) -> str:
    """Mark ``message`` for translation; the role pages translate labels when they show them."""
    return message


PERMISSIONS = [PermissionSpec(MANAGE, N_("Handle personal data requests (export and "
                                         "erase a person's data)"), N_("System"))]
MENU_ITEMS = [MenuItem(id="core.admin.privacy", label=_l("Personal data requests"),
                       endpoint="core_privacy.index", permission=MANAGE, icon="person-lock",
                       order=65, parent="core.admin")]


class PersonForm(FlaskForm):
    """Who the request is about: an e-mail, a phone, or both."""

    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])


class ExportForm(PersonForm):
    """Download the export: one JSON, or a zip with one JSON per plugin."""

    format = HiddenField(default="json", validators=[AnyOf(("json", "zip"))])


class EraseForm(PersonForm):
    """Erase, once the operator typed the e-mail or phone again."""

    confirm = StringField(_l("Type the e-mail or phone again to confirm"),
                          validators=[Length(max=254)])


def _person(form: PersonForm) -> Person | None:
    """The form's person, or None with the error on the form's field."""
    try:
        return Person.from_request(form.email.data, form.phone.data)
    except PersonError:
        pass
    if _safe(normalise_email, form.email.data) is None and (form.email.data or "").strip():
        form.email.errors = [*form.email.errors, _(
            "This is not an e-mail address such as name@example.com.")]
        return None
    if _safe(normalise_phone, form.phone.data) is None and (form.phone.data or "").strip():
        form.phone.errors = [*form.phone.errors, _(
            "This is not a phone number: enter a Chinese mobile (13812345678), a landline "
            "with its area code (010-12345678) or an international number starting with +.")]
        return None
    form.email.errors = [*form.email.errors, _("Enter the person's e-mail, phone or both.")]
    return None


def _page(form: PersonForm, status: int = 200, **context: Any) -> Any:
    return render_template("core/privacy/index.html", form=form, erasure_total=_total,
                           erasures=recent_erasures(get_session()), **context), status


def _failed(form: PersonForm, exc: PrivacyError) -> Any:
    """A module failed to answer: say which, keep the details for the server's log."""
    current_app.logger.warning("privacy request failed: %s", exc)
    return _page(form, 500, errors=[_(
        "Module %(plugin)s could not answer the request; nothing was changed. The server's "
        "log has the details.", plugin=exc.plugin or "?")])


def _total(row: Any) -> int:
    """Records an erasure changed, over every module (from its register row)."""
    return sum(int(n) for sections in (row.counts or {}).values()
               for n in (sections or {}).values())


@bp.get("/")
@require_permission(MANAGE)
def index():  # type: ignore[no-untyped-def]
    """The look-up form and the register of past erasures."""
    return _page(PersonForm())


@bp.post("/")
@require_permission(MANAGE)
def lookup():  # type: ignore[no-untyped-def]
    """Count what each plugin holds about the person (logged as a look-up)."""
    form = PersonForm()
    person = _person(form) if form.validate_on_submit() else None
    if person is None:
        return _page(form, 422)
    try:
        counts = look_up(get_session(), person)
    except PrivacyError as exc:
        return _failed(form, exc)
    return _page(form, counts=counts, person=person,
                 export_form=ExportForm(email=person.email, phone=person.phone),
                 erase_form=EraseForm(email=person.email, phone=person.phone))


@bp.post("/export")
@require_permission(MANAGE)
def export():  # type: ignore[no-untyped-def]
    """The export as a download (logged)."""
    form = ExportForm()
    person = _person(form) if form.validate_on_submit() else None
    if person is None:
        return _page(PersonForm(email=form.email.data, phone=form.phone.data), 422,
                     errors=[error for errors in form.errors.values() for error in errors])
    as_zip = form.format.data == "zip"
    try:
        data = export_bytes(export_person(get_session(), person), as_zip)
    except PrivacyError as exc:
        return _failed(PersonForm(email=form.email.data, phone=form.phone.data), exc)
    name = f"personal-data.{'zip' if as_zip else 'json'}"
    return Response(data, mimetype="application/zip" if as_zip else "application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _confirmed(form: EraseForm, person: Person) -> bool:
    typed = (form.confirm.data or "").strip()
    if not typed:
        return False
    return person.matches_email(typed) or person.matches_phone(typed)


@bp.post("/erase")
@require_permission(MANAGE)
def erase():  # type: ignore[no-untyped-def]
    """Erase the person everywhere (one transaction, one log entry), after confirmation."""
    form = EraseForm()
    person = _person(form) if form.validate_on_submit() else None
    if person is not None and not _confirmed(form, person):
        form.confirm.errors = [*form.confirm.errors, _(
            "Type the person's e-mail or phone exactly as looked up to confirm the erasure.")]
        person = None
    if person is None:
        session = get_session()
        shown = Person(_safe(normalise_email, form.email.data),
                       _safe(normalise_phone, form.phone.data))
        context: dict[str, Any] = {}
        if shown.email or shown.phone:
            context = {"counts": look_up(session, shown), "person": shown,
                       "export_form": ExportForm(email=shown.email, phone=shown.phone),
                       "erase_form": form}
        return _page(PersonForm(email=form.email.data, phone=form.phone.data), 422, **context)
    try:
        result = erase_person(get_session(), person)
    except PrivacyError as exc:
        flash(_("The erasure stopped in module %(plugin)s: nothing was erased. The server's "
                "log has the details.", plugin=exc.plugin or "?"), "danger")
        current_app.logger.warning("privacy erasure failed: %s", exc)
        return redirect(url_for("core_privacy.index"))
    flash(_("Erasure %(id)d done: %(n)d records anonymised in %(plugins)d modules; the "
            "e-mail and phone are on the suppression list.", id=result.erasure_id,
            n=result.total, plugins=len(result.counts)), "success")
    for note in result.notes:
        flash(note, "warning")
    return redirect(url_for("core_privacy.index"))


def _safe(check: Any, value: str | None) -> str | None:
    try:
        return check(value)
    except PersonError:
        return None
