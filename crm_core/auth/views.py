"""Sign in, sign out and change one's password."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext, lazy_gettext
from flask_login import LoginManager, current_user, login_user, logout_user

from ..audit.service import record_event
from ..db import get_session
from ..edge.paths import same_site_path
from ..errors import ConfigError, DomainError
from . import cookies, sessions
from .forms import ChangePasswordForm, LoginForm
from .login_options import login_options
from .models import User
from .permissions import public, require_permission
from .service import LoginLocked, LoginRefused, change_password, record_logout, sign_in
from .throttle import ThrottleSettings

bp = Blueprint("core_auth", __name__)


class CrmLoginManager(LoginManager):
    """Flask-Login, plus the kernel's cookie flags and throttling settings."""

    def init_app(self, app: Flask, add_context_processor: bool = True) -> None:
        """Install Flask-Login; check the login settings; make cookies safe (see ``cookies``)."""
        super().init_app(app, add_context_processor)
        for name in ("CRM_LOGIN_MAX_FAILURES", "CRM_LOGIN_LOCKOUT_MINUTES",
                     "CRM_PASSWORD_MIN_LENGTH"):
            app.config[name] = _positive_int(name, app.config.get(name))
        days = sessions.remember_days(app.config.get("CRM_REMEMBER_DAYS",
                                                     sessions.DEFAULT_REMEMBER_DAYS))
        app.config["CRM_REMEMBER_DAYS"] = days
        app.config["REMEMBER_COOKIE_DURATION"] = dt.timedelta(days=days)
        cookies.init_app(app)


def _positive_int(name: str, value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number < 1:
        raise ConfigError(f"{name} must be a whole number of at least 1, not {value!r}")
    return number


login_manager = CrmLoginManager()
login_manager.login_view = "core_auth.login"
login_manager.login_message = lazy_gettext("Please sign in to see this page.")


@login_manager.user_loader
def load_user(session_key: str) -> User | None:
    """The signed-in user for Flask-Login: the active user of a live server-side session
    (``auth.sessions``), or None when the session was revoked or expired."""
    db = get_session()
    found = sessions.find_session(db, session_key)
    if found is None:
        return None
    row, user = found
    user.__dict__["crm_session_key"] = session_key
    if sessions.needs_touch(row):
        # Its own short transaction: the request's session must not commit half its work.
        with current_app.extensions["crm_db"].engine.begin() as connection:
            sessions.touch(connection, row.id)
    return user


def current_session_key() -> str | None:
    """The key of the signed-in browser session (None for an API token or nobody)."""
    if not current_user.is_authenticated:
        return None
    return current_user.__dict__.get("crm_session_key")


def throttle_settings() -> ThrottleSettings:
    """The running app's ``CRM_LOGIN_MAX_FAILURES`` and ``CRM_LOGIN_LOCKOUT_MINUTES``."""
    config = current_app.config
    return ThrottleSettings(int(config["CRM_LOGIN_MAX_FAILURES"]),
                            dt.timedelta(minutes=int(config["CRM_LOGIN_LOCKOUT_MINUTES"])))


def _safe_next(target: str | None) -> str:
    return same_site_path(target) or url_for("core_ui.home")


def _start_new_session(user: User, key: str, remember: bool) -> None:
    """Sign ``user`` in on a fresh session: nothing set before sign-in survives it."""
    session.clear()
    g.pop("csrf_token", None)  # Flask-WTF caches the token of the old session here
    user.__dict__["crm_session_key"] = key
    login_user(user, remember=remember,
               duration=dt.timedelta(days=current_app.config["CRM_REMEMBER_DAYS"]))


def sign_in_user(user_id: int, *, method: str) -> bool:
    """Sign in, in the current request, a user whom another system authenticated (the OA
    bridge's "Sign in with DingTalk"): a fresh session, recorded and logged like a password
    sign-in with ``method`` named. False (nothing done) for an unknown or disabled user."""
    db = get_session()
    user = db.get(User, user_id)
    if user is None or not user.is_active:
        return False
    key = sessions.start_session(db, user.id, days=current_app.config["CRM_REMEMBER_DAYS"],
                                 ip=request.remote_addr or "",
                                 user_agent=request.user_agent.string)
    record_event("login", lazy_gettext("%(user)s signed in with %(method)s.",
                                       user=user.username, method=method),
                 user=user, session=db)
    db.commit()
    _start_new_session(user, key, False)
    return True


@bp.route("/login", methods=["GET", "POST"])
@public
def login():  # type: ignore[no-untyped-def]
    """The sign-in page; refuses further tries for a while after too many failures."""
    form = LoginForm()
    locked_message = None
    status = 200
    if form.validate_on_submit():
        db = get_session()
        try:
            user = sign_in(db, form.username.data, form.password.data,
                           request.remote_addr or "", throttle_settings())
        except LoginLocked as locked:
            db.commit()
            locked_message = str(locked)
            retry = str(max(1, math.ceil(locked.retry_after.total_seconds())))
            return (render_template("core/login.html", form=form, locked_message=locked_message,
                                    options=login_options()),
                    429, {"Retry-After": retry})
        except LoginRefused as refused:
            db.commit()
            form.password.errors.append(str(refused))
        else:
            remember = bool(form.remember.data)
            key = sessions.start_session(
                db, user.id, days=current_app.config["CRM_REMEMBER_DAYS"], remember=remember,
                ip=request.remote_addr or "", user_agent=request.user_agent.string)
            db.commit()
            _start_new_session(user, key, remember)
            return redirect(_safe_next(request.args.get("next")))
    if form.errors:
        status = 400
    return render_template("core/login.html", form=form, locked_message=locked_message,
                           options=login_options()), status


@bp.route("/logout", methods=["POST"])
@require_permission()
def logout():  # type: ignore[no-untyped-def]
    """Sign out (POST, so a link cannot sign you out)."""
    db = get_session()
    record_logout(db, current_user._get_current_object(), current_session_key())
    db.commit()
    session.clear()
    logout_user()  # after clear(): it asks for the "remember me" cookie to be deleted
    flash(gettext("You have been signed out."), "info")
    return redirect(url_for("core_auth.login"))


@bp.route("/account/password", methods=["GET", "POST"], endpoint="change_password")
@require_permission()
def change_password_page():  # type: ignore[no-untyped-def]
    """Change one's own password: the current one, then the new one twice."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        db = get_session()
        user = db.get(User, current_user.id)
        try:
            change_password(db, user, form.current_password.data, form.new_password.data,
                            keep_session_key=current_session_key())
        except LoginRefused as wrong:
            db.rollback()
            form.current_password.errors.append(str(wrong))
        except DomainError as refused:
            db.rollback()
            form.new_password.errors.append(str(refused))
        else:
            db.commit()
            flash(gettext("Your password has been changed."), "success")
            return redirect(url_for("core_auth.change_password"))
    status = 400 if form.errors else 200
    return render_template("core/account/password.html", form=form), status
