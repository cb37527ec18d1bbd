"""Connections: one ERP each, its credential sealed at rest (``toolkit.seal``).

An Odoo connection keeps its address, database and login in the clear and its API key
sealed; a webhook connection keeps its ``whsec_`` secret sealed (and, for outbound messages,
the receiver's address). :func:`connection_secret` is the only way back to the clear value,
for the client and the webhook check; nothing here logs or returns it otherwise.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import DomainError, hooks, record_event, seal, unseal, utcnow

from ..models import KINDS, TRANSPORT_CHOICES, ErpConnection
from ..odoo import AuthError, OdooError, PermissionError
from ..webhooks.signing import BadSecret, secret_key

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
URL = re.compile(r"^https?://[^\s/?#]+(/[^\s?#]*)?$")
#: Warn this many days before an API key lapses (Odoo 19 keys last at most three months);
#: ``CRM_ERP_BRIDGE_KEY_WARNING_DAYS`` changes it (``alerts.warning_days``).
EXPIRY_WARNING_DAYS = 14
FIELDS = ("kind", "url", "database", "login", "transport", "key_expires_on")


@dataclass(frozen=True)
class ConnectionSettings:
    """What an adapter needs to reach one ERP (``crm_erp_adapter``); ``repr`` hides the
    secret, so logging one leaks nothing."""

    name: str
    kind: str
    url: str
    database: str
    login: str
    secret: str
    transport: str

    def __repr__(self) -> str:
        return f"ConnectionSettings(name={self.name!r}, kind={self.kind!r}, url={self.url!r})"


class NoAdapter(DomainError):
    """No enabled plugin offers an adapter for the connection's kind."""


class ConnectionError_(DomainError):
    """A refused connection setting; ``field`` names the form field."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value.strip() if isinstance(value, str) else value
            for key, value in values.items()}


def _check(merged: dict[str, Any], secret: str) -> None:
    kind = merged["kind"]
    if kind not in KINDS:
        raise ConnectionError_("kind", _("Choose Odoo or signed webhooks."))
    if merged["transport"] not in TRANSPORT_CHOICES:
        raise ConnectionError_("transport", _("Choose a transport from the list."))
    url = merged["url"] or ""
    if url and not URL.match(url) or len(url) > 300:
        raise ConnectionError_("url", _("Enter an http(s) address such as "
                                        "https://erp.example.com."))
    if kind == "odoo":
        for field in ("url", "database", "login"):
            if not merged[field]:
                raise ConnectionError_(field, _("An Odoo connection needs this field."))
        if not secret:
            raise ConnectionError_("secret", _("Enter the Odoo user's API key."))
        if len(secret) > 200 or not secret.isprintable():
            raise ConnectionError_("secret", _("The API key is one line of at most 200 "
                                               "characters."))
    else:
        if not secret:
            raise ConnectionError_("secret", _("Enter the webhook secret (whsec_…)."))
        try:
            secret_key(secret)
        except BadSecret:
            raise ConnectionError_("secret", _("The secret is whsec_ followed by base64 of "
                                               "24 to 64 bytes.")) from None
    for field in ("database", "login"):
        if len(merged[field] or "") > 100:
            raise ConnectionError_(field, _("At most 100 characters."))


def save_connection(session: Session, values: dict[str, Any],
                    connection: ErpConnection | None = None) -> ErpConnection:
    """Create or change a connection. ``secret`` (the API key or webhook secret) left empty
    keeps the stored one; a new connection needs it. A new secret starts a stopped
    connection again. Raises :class:`ConnectionError_`."""
    values = _clean(values)
    name = values.get("name", connection.name if connection else "") or ""
    if not NAME.match(name):
        raise ConnectionError_("name", _("Use 1 to 40 lower-case letters, digits, - or _, "
                                         "starting with a letter or digit."))
    taken = select(ErpConnection.id).where(ErpConnection.name == name)
    if connection is not None:
        taken = taken.where(ErpConnection.id != connection.id)
    if session.scalar(taken) is not None:
        raise ConnectionError_("name", _("Another connection has this name."))
    given = values.pop("secret", None) or ""
    secret = given or (connection_secret(connection) if connection is not None
                       and connection.credentials else "")
    defaults = {"transport": "auto", "kind": "odoo", "key_expires_on": None}
    merged = {key: values[key] if key in values else
              (getattr(connection, key) if connection else defaults.get(key, ""))
              for key in FIELDS}
    merged["transport"] = merged["transport"] or "auto"
    if not isinstance(merged["key_expires_on"], dt.date):
        merged["key_expires_on"] = None
    if connection is not None and merged["key_expires_on"] != connection.key_expires_on:
        connection.key_warned_on = None  # a new expiry: its warnings start over
    _check(merged, secret)
    if connection is None:
        connection = ErpConnection(state="active", stopped_reason="", erp_version="")
        session.add(connection)
    connection.name = name
    for key, value in merged.items():
        setattr(connection, key, value if key == "key_expires_on" else value or "")
    if given:
        connection.credentials = seal(secret)
        connection.state, connection.stopped_reason = "active", ""
    session.flush()
    return connection


def connection_secret(connection: ErpConnection) -> str:
    """The connection's API key or webhook secret in the clear (``SealError`` when the
    install's key cannot open it). For the client and the webhook check only."""
    return unseal(connection.credentials) if connection.credentials else ""


def find_connection(session: Session, name: str) -> ErpConnection | None:
    """The connection named ``name``."""
    return session.scalar(select(ErpConnection).where(ErpConnection.name == name))


def stop_connection(session: Session, connection: ErpConnection, reason: str,
                    alert: bool = True) -> None:
    """Stop a connection (the ERP refused its credentials or rights): nothing is sent until
    an administrator starts it again. Logged once, not at every refused try; the
    administrators are notified then (``alert``: False when one is looking at the page)."""
    from .alerts import connection_stopped

    if connection.state == "stopped":
        return
    connection.state, connection.stopped_reason = "stopped", reason[:500]
    record_event("erp_connection_stopped", reason[:500], model=ErpConnection,
                 record_id=connection.id, changes={"connection": connection.name},
                 session=session)
    if alert:
        connection_stopped(session, connection, reason)
    session.flush()


def start_connection(session: Session, connection: ErpConnection) -> None:
    """Start a stopped connection again."""
    connection.state, connection.stopped_reason = "active", ""
    session.flush()


def hold_connection(session: Session, connection: ErpConnection) -> None:
    """Pause a connection: its messages stay in the outbox and no pull or ``crm erp sync``
    runs for it until :func:`release_connection` (the change is in the operation log)."""
    if not connection.held:
        connection.held, connection.held_since = True, utcnow()
        session.flush()


def release_connection(session: Session, connection: ErpConnection) -> None:
    """End a hold: the waiting messages go out at the outbox's next run."""
    if connection.held:
        connection.held, connection.held_since = False, None
        session.flush()


def runs(connection: ErpConnection) -> bool:
    """Whether anything may go to or come from this ERP now (active and not held)."""
    return connection.state == "active" and not connection.held


def check_connection(session: Session, connection: ErpConnection) -> str | None:
    """Try the connection now: an Odoo one is probed and its key proven (its version is
    kept); a refused key or right stops it, a success starts it again. None when it works,
    else the ERP's reason. A webhook connection has nothing to try: it is started."""
    if connection.kind != "odoo":
        start_connection(session, connection)
        return None
    try:
        with adapter_for(connection) as erp:
            version = erp.probe()
    except (AuthError, PermissionError) as refused:
        connection.state = "active"  # so that stop_connection records this refusal
        stop_connection(session, connection, refused.message, alert=False)
        return refused.message
    except OdooError as failed:
        return failed.message
    connection.erp_version = version.version[:40]
    start_connection(session, connection)
    return None


def settings_of(connection: ErpConnection) -> ConnectionSettings:
    """The connection's settings, its secret opened (``SealError`` when it cannot be)."""
    return ConnectionSettings(connection.name, connection.kind, connection.url,
                              connection.database, connection.login,
                              connection_secret(connection), connection.transport or "auto")


def adapter_for(connection: ErpConnection) -> Any:
    """The ERP adapter of ``connection`` (``crm_erp_adapter``); a context manager."""
    adapter = hooks().crm_erp_adapter(settings=settings_of(connection))
    if adapter is None:
        raise NoAdapter(f"No ERP adapter speaks {connection.kind!r} (connection "
                        f"{connection.name}).")
    return adapter


def key_expires_in(connection: ErpConnection, today: dt.date | None = None) -> int | None:
    """Days until the API key lapses (negative: lapsed), or None when unknown."""
    if connection.key_expires_on is None:
        return None
    return (connection.key_expires_on - (today or utcnow().date())).days


def status(connection: ErpConnection) -> dict[str, Any]:
    """What ``crm erp status --json`` and the settings page show: never the credential."""
    from .alerts import warning_days

    days = key_expires_in(connection)
    return {"name": connection.name, "kind": connection.kind, "url": connection.url,
            "database": connection.database, "login": connection.login,
            "transport": connection.transport, "state": connection.state,
            "stopped_reason": connection.stopped_reason, "held": bool(connection.held),
            "held_since": connection.held_since.isoformat() if connection.held_since else None,
            "erp_version": connection.erp_version,
            "credentials": "set" if connection.credentials else "missing",
            "key_expires_on": connection.key_expires_on.isoformat()
            if connection.key_expires_on else None,
            "key_expires_in_days": days,
            "key_expiry_warning": days is not None and days <= warning_days()}


def all_connections(session: Session) -> list[ErpConnection]:
    """Every connection, by name."""
    return list(session.scalars(select(ErpConnection).order_by(ErpConnection.name)))
