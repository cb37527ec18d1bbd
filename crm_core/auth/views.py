"""Sign in and sign out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import LoginManager, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from ..db import get_session
from .models import User
from .permissions import public, require_permission
from .service import authenticate

bp = Blueprint("core_auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "core_auth.login"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The signed-in user for Flask-Login, or None when gone or disabled."""
    user = get_session().get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.is_active else None


class LoginForm(FlaskForm):
    """User name and password."""

    username = StringField("User name", validators=[DataRequired(), Length(max=80)],
                           render_kw={"autocomplete": "username", "autofocus": True})
    password = PasswordField("Password", validators=[DataRequired()],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField("Keep me signed in")


def _safe_next(target: str | None) -> str:
    if not target:
        return url_for("core_ui.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/"):
        return url_for("core_ui.home")
    return target


@bp.route("/login", methods=["GET", "POST"])
@public
def login():  # type: ignore[no-untyped-def]
    """The sign-in page."""
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(get_session(), form.username.data, form.password.data)
        if user is not None:
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")))
        form.password.errors.append("Wrong user name or password.")
    return render_template("core/login.html", form=form), 400 if form.errors else 200


@bp.route("/logout", methods=["POST"])
@require_permission()
@login_required
def logout():  # type: ignore[no-untyped-def]
    """Sign out (POST, so a link cannot sign you out)."""
    logout_user()
    flash("You have been signed out.", "info")
    return redirect(url_for("core_auth.login"))
