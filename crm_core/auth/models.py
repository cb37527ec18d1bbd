"""The kernel's user table."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, object_session

from ..db import Model, TimestampMixin, utcnow


class User(TimestampMixin, Model):
    """A person who signs in. A superuser holds every permission."""

    __tablename__ = "core_user"
    __audit_sensitive__ = ("password_hash",)
    # The history of a user names its fields in the reader's language (issue 11).
    __audit_labels__ = {"username": _l("User name"), "display_name": _l("Display name"),
                        "email": _l("E-mail"), "password_hash": _l("Password"),
                        "is_active": _l("Active"), "is_superuser": _l("Superuser"),
                        "locale": _l("Language"), "timezone": _l("Time zone"),
                        "department_id": _l("Department")}

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_superuser: Mapped[bool] = mapped_column(Boolean, default=False)
    locale: Mapped[str | None] = mapped_column(String(10))
    # An IANA name (Europe/Berlin); None: CRM_DEFAULT_TIMEZONE (auth/timezones.py).
    timezone: Mapped[str | None] = mapped_column(String(64))
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_department.id", ondelete="SET NULL"), index=True)
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """Flask-Login's user id: the key of this sign-in's server-side session.

        Both the session cookie and the "remember me" cookie carry it, so revoking the
        session (``auth.sessions``) signs out every copy of either. It is set on the user
        object when a session starts or is loaded; there is no id without one.
        """
        key = self.__dict__.get("crm_session_key")
        if not key:
            raise RuntimeError("sign users in with crm_core.auth.sessions.start_session")
        return str(key)

    @property
    def permissions(self) -> frozenset[str]:
        """Names of the permissions granted through the user's roles (loaded once)."""
        cached = self.__dict__.get("_crm_permissions")
        if cached is None:
            from ..rbac.service import user_permission_names

            session = object_session(self)
            cached = user_permission_names(session, self.id) if session is not None else \
                frozenset()
            self.__dict__["_crm_permissions"] = cached
        return cached

    def has_permission(self, name: str) -> bool:
        """Whether this user may do ``name`` (``customers.customer.view``)."""
        if not self.is_active:
            return False
        return self.is_superuser or name in self.permissions

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class LoginAttempt(Model):
    """One sign-in try, kept to throttle guessing (per account and per IP)."""

    __tablename__ = "core_login_attempt"
    __audit__ = False  # throttling data, not business data
    __table_args__ = (
        Index("ix_core_login_attempt_username_at", "username", "at"),
        Index("ix_core_login_attempt_ip_at", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80))
    ip: Mapped[str] = mapped_column(String(45), default="")
    success: Mapped[bool] = mapped_column(Boolean, default=False)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuthSession(Model):
    """One sign-in: a browser's session (and its "remember me" cookie) until revoked.

    Only the SHA-256 of the random key is stored, so a copy of the table signs nobody in.
    Signing out revokes the row; a password change or disabling the user revokes all the
    user's rows; a row is refused after ``expires_at`` (``CRM_REMEMBER_DAYS`` after sign-in).
    """

    __tablename__ = "core_auth_session"
    __audit__ = False  # sign-ins are in the log as events; this is their bookkeeping

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"),
                                         index=True)
    remember: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    ip: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="")
