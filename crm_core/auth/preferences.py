"""A user's own preferences page: the time zone their pages show times in."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField

from ..db import get_session
from ..errors import DomainError
from ..rbac.forms import choices
from .permissions import require_permission
from .timezones import default_timezone_name, set_user_timezone, timezone_choices

bp = Blueprint("core_account", __name__)


class PreferencesForm(FlaskForm):
    """The signed-in user's own settings."""

    # The zone is checked by the service (a FieldError), so a forged value is a field error.
    timezone = SelectField(_l("Time zone"), validate_choice=False,
                           description=_l("Dates and times on every page are shown in it."))


def preferences_form() -> PreferencesForm:
    """The form with its zone choices, the first being "the default" (named)."""
    form = PreferencesForm(data={"timezone": current_user.timezone or ""})
    default = gettext("Default (%(zone)s)", zone=default_timezone_name())
    form.timezone.choices = choices(timezone_choices(default))
    return form


@bp.route("/account/preferences", methods=["GET", "POST"])
@require_permission()
def preferences():  # type: ignore[no-untyped-def]
    """Choose one's time zone (a select of IANA zones); a zone not in the list is a field
    error and answers 400."""
    form = preferences_form()
    if form.validate_on_submit():
        session = get_session()
        try:
            set_user_timezone(session, current_user.id, form.timezone.data)
        except DomainError as refused:
            session.rollback()
            form.timezone.errors = [*form.timezone.errors, str(refused)]
        else:
            session.commit()
            flash(gettext("Your preferences have been saved."), "success")
            return redirect(url_for("core_account.preferences"))
    status = 400 if form.errors else 200
    return render_template("core/account/preferences.html", form=form), status
