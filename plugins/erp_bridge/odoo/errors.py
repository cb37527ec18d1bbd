"""What an Odoo call can fail with: the small taxonomy of integrations.md §1.2.

Each transport maps its own error shape here (``errors_from``):

- JSON-2: the HTTP status (401, 403, 404, 422, 5xx) and the body ``{"name", "message",
  "arguments", "context", "debug"}`` (or a bare JSON string, as PR 197801 showed);
- XML-RPC ``/xmlrpc/2``: ``Fault`` codes 1 (application error), 2 (warning: ``UserError``),
  3 (``AccessDenied``), 4 (``AccessError``);
- JSON-RPC: HTTP 200 with ``{"error": {"code", "message", "data": {"name", "message"}}}``,
  where ``data.name`` decides (``code`` 100 is a session error, 404 not found).

``message`` is the ERP's own message (what a user is shown); a traceback (``debug``) is never
kept, so an error can be logged and stored on a record.
"""

from __future__ import annotations

from typing import Any

#: Exception names (``data.name`` / JSON-2 ``name``) by the class they map to.
AUTH_NAMES = ("odoo.exceptions.AccessDenied", "odoo.http.SessionExpiredException",
              "werkzeug.exceptions.Unauthorized")
ACCESS_NAMES = ("odoo.exceptions.AccessError", "werkzeug.exceptions.Forbidden")
VALIDATION_NAMES = ("odoo.exceptions.UserError", "odoo.exceptions.ValidationError",
                    "odoo.exceptions.RedirectWarning", "odoo.exceptions.except_orm",
                    "werkzeug.exceptions.UnprocessableEntity")
MISSING_NAMES = ("odoo.exceptions.MissingError", "werkzeug.exceptions.NotFound")
TRANSIENT_NAMES = ("psycopg2.errors.SerializationFailure",
                   "psycopg2.extensions.TransactionRollbackError",
                   "odoo.exceptions.ConcurrencyError")
MAX_MESSAGE = 500


class OdooError(Exception):
    """An Odoo call that failed. ``retry`` says whether trying again later may succeed;
    ``name`` is the ERP's exception name when it gave one."""

    retry = False

    def __init__(self, message: str, name: str = "", status: int | None = None) -> None:
        message = (message or "").strip()[:MAX_MESSAGE] or self.__class__.__name__
        super().__init__(message)
        self.message = message
        self.name = name
        self.status = status


class AuthError(OdooError):
    """Bad credentials: a wrong or expired API key, an unknown login or database (fault 3,
    HTTP 401, JSON-RPC ``AccessDenied`` or code 100). Stop the connection; never retry."""


class PermissionError(OdooError):  # the name of integrations.md §1.2 (shadows the builtin here)
    """The ERP user may not do this (fault 4, HTTP 403, ``AccessError``). Permanent."""


class ValidationError(OdooError):
    """The ERP refused the values (fault 2, HTTP 422, ``UserError``/``ValidationError``):
    ``message`` is the ERP's, shown on the record. Permanent for these values."""


class NotFound(OdooError):
    """No such model, method or record (HTTP 404, ``MissingError``). Permanent."""


class TransientError(OdooError):
    """The ERP is down, slow or busy (a connection error, a timeout, HTTP 5xx, a database
    serialization failure). Retry with backoff."""

    retry = True


class ProtocolError(OdooError):
    """The server answered something that is not Odoo's protocol (a proxy's page). Retried:
    it is most often a gateway in front of an Odoo that is restarting."""

    retry = True


def by_name(name: str) -> type[OdooError] | None:
    """The class for an Odoo exception name, or None when the name says nothing."""
    for names, cls in ((AUTH_NAMES, AuthError), (ACCESS_NAMES, PermissionError),
                       (VALIDATION_NAMES, ValidationError), (MISSING_NAMES, NotFound),
                       (TRANSIENT_NAMES, TransientError)):
        if name in names:
            return cls
    return None


def from_status(status: int, body: Any) -> OdooError:
    """The error of a JSON-2 answer with HTTP ``status`` and decoded JSON ``body``."""
    name, message = "", ""
    if isinstance(body, dict):
        name = str(body.get("name") or "")
        message = str(body.get("message") or "")
    elif isinstance(body, str):
        message = body
    if status == 401:
        cls: type[OdooError] = AuthError
    elif status == 403:
        cls = PermissionError
    elif status == 404:
        cls = NotFound
    elif status >= 500 or status in (408, 429):
        cls = by_name(name) if by_name(name) is TransientError else TransientError
    elif status in (400, 422):
        cls = by_name(name) if by_name(name) in (ValidationError, NotFound) else ValidationError
    else:
        cls = by_name(name) or ValidationError
    return cls(message or f"HTTP {status}", name=name, status=status)


def from_fault(code: int | str, text: str) -> OdooError:
    """The error of an XML-RPC ``Fault`` (``/xmlrpc/2`` int codes; string codes of the old
    ``/xmlrpc`` too)."""
    text = str(text or "")
    if isinstance(code, str):
        lowered = code.lower()
        if lowered.startswith("accessdenied"):
            return AuthError(text or code, name="odoo.exceptions.AccessDenied")
        if lowered.startswith("warning"):
            message = code.split("\n\n", 1)[1] if "\n\n" in code else text
            return ValidationError(message, name="odoo.exceptions.UserError")
        return _application(text or code)
    if code == 3:
        return AuthError(text or "Access Denied", name="odoo.exceptions.AccessDenied")
    if code == 4:
        return PermissionError(text, name="odoo.exceptions.AccessError")
    if code == 2:
        return ValidationError(text, name="odoo.exceptions.UserError")
    return _application(text)


def _application(text: str) -> OdooError:
    """Fault 1 carries a traceback: its last line names the exception and its message."""
    last = text.strip().splitlines()[-1] if text.strip() else ""
    name, _sep, message = last.partition(": ")
    cls = by_name(name.strip())
    if cls is None:
        return TransientError("The ERP failed with an internal error.", name=name.strip()) \
            if "Serialization" in text else OdooError(message or last, name=name.strip())
    return cls(message or last, name=name.strip())


def from_envelope(error: dict[str, Any]) -> OdooError:
    """The error of a JSON-RPC ``error`` member (switch on ``data.name``; the code is
    "arbitrary" per Odoo's own comment, except 100 and 404)."""
    data = error.get("data") if isinstance(error.get("data"), dict) else {}
    name = str(data.get("name") or "")
    message = str(data.get("message") or error.get("message") or "")
    cls = by_name(name)
    if cls is None:
        code = error.get("code")
        cls = AuthError if code == 100 else NotFound if code == 404 else OdooError
    return cls(message, name=name)
