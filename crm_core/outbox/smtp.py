"""Sending e-mail through SMTP with the standard library: settings, the message, the send.

``CRM_SMTP_URL`` says where: ``smtp://user:password@host:587?starttls=1`` (STARTTLS),
``smtps://user:password@host:465`` (TLS from the start) or ``smtp://host:25`` (plain, for a
relay on the same network). ``timeout=N`` sets the socket timeout in seconds (default 30).
``CRM_MAIL_FROM`` is the sender, ``"CRM <crm@example.com>"`` or ``crm@example.com``.
"""

from __future__ import annotations

import datetime as dt
import functools
import smtplib
import ssl
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, parseaddr
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from flask_babel import gettext as _

DEFAULT_TIMEOUT = 30.0
#: the connection ``reuse_connection`` keeps for this thread's drain
_HELD = threading.local()
_ID_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


class SmtpConfigError(ValueError):
    """``CRM_SMTP_URL`` or ``CRM_MAIL_FROM`` is missing or malformed (never shows a password)."""


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to hand mail over; ``security`` is ``plain``, ``starttls`` or ``ssl``."""

    host: str
    port: int
    security: str
    username: str | None
    password: str | None
    timeout: float
    sender: str

    def __repr__(self) -> str:  # never print the password
        return (f"SmtpSettings(host={self.host!r}, port={self.port}, security={self.security!r}, "
                f"username={self.username!r}, sender={self.sender!r})")


def _flag(name: str, value: str) -> bool:
    text = value.strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise SmtpConfigError(f"CRM_SMTP_URL: {name} must be 1 or 0, not {value!r}")


def parse_smtp_url(url: str) -> tuple[str, int, str, str | None, str | None, float]:
    """``(host, port, security, username, password, timeout)`` from a ``CRM_SMTP_URL``."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise SmtpConfigError("CRM_SMTP_URL is not a valid URL (smtp://host:port or "
                              "smtps://host:port)") from None
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise SmtpConfigError("CRM_SMTP_URL must look like smtp://user:password@host:587"
                              "?starttls=1 or smtps://user:password@host:465")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    unknown = sorted(set(query) - {"starttls", "timeout"})
    if unknown:
        raise SmtpConfigError(f"CRM_SMTP_URL: unknown option {unknown[0]!r} (known: starttls, "
                              "timeout)")
    if parts.scheme == "smtps":
        security = "ssl"
    else:
        security = "starttls" if _flag("starttls", query.get("starttls", "0")) else "plain"
    try:
        timeout = float(query.get("timeout", DEFAULT_TIMEOUT))
    except ValueError:
        timeout = 0
    if not timeout > 0:
        raise SmtpConfigError("CRM_SMTP_URL: timeout must be a positive number of seconds")
    default_port = {"ssl": 465, "starttls": 587, "plain": 25}[security]
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    return parts.hostname, port or default_port, security, username, password, timeout


def check_address(value: str, what: str) -> str:
    """``value`` if it is one e-mail address (``a@b.c`` or ``Name <a@b.c>``); else raise."""
    if not isinstance(value, str) or any(ch in value for ch in "\r\n\0"):
        raise ValueError(f"{what} must be an e-mail address")
    found = getaddresses([value])
    if len(found) != 1 or "@" not in found[0][1] or found[0][1].startswith("@") or \
            found[0][1].endswith("@") or " " in found[0][1]:
        raise ValueError(f"{what} is not an e-mail address: {value!r}")
    return value.strip()


def smtp_settings(config: Mapping[str, Any]) -> SmtpSettings:
    """The SMTP settings of ``config``; ``SmtpConfigError`` says what is missing or wrong."""
    url = (config.get("CRM_SMTP_URL") or "").strip()
    if not url:
        raise SmtpConfigError(_("CRM_SMTP_URL is not set"))
    host, port, security, username, password, timeout = parse_smtp_url(url)
    sender = (config.get("CRM_MAIL_FROM") or "").strip()
    if not sender:
        raise SmtpConfigError(_("CRM_MAIL_FROM is not set"))
    try:
        check_address(sender, "CRM_MAIL_FROM")
    except ValueError as exc:
        raise SmtpConfigError(str(exc)) from None
    return SmtpSettings(host, port, security, username, password, timeout, sender)


def message_id(key: str, sender: str) -> str:
    """The Message-ID carrying idempotency key ``key``: the same key, the same id.

    Characters other than letters, digits, ``_`` and ``-`` are written ``=XX`` (their UTF-8
    bytes in hex), so any key makes a valid id and a receiver can read the key back.
    """
    local = "".join(char if char in _ID_SAFE else "".join(f"={byte:02X}" for byte in
                                                            char.encode("utf-8"))
                    for char in key)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    return f"<{local}@{domain}>"


def build_message(sender: str, to: list[str], subject: str, text: str, html: str | None,
                  key: str, date: dt.datetime, headers: Mapping[str, str] | None = None,
                  attachments: Iterable[tuple[str, str, bytes]] = ()) -> EmailMessage:
    """The mail: a text part, plus an HTML alternative when ``html`` is given, the extra
    ``headers`` and ``attachments`` (``(filename, content type, bytes)``)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message["Date"] = format_datetime(date.astimezone(dt.UTC))
    message["Message-ID"] = message_id(key, sender)
    message["X-CRM-Idempotency-Key"] = key
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for filename, content_type, data in attachments:
        maintype, _, subtype = content_type.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message


@functools.lru_cache(maxsize=1)
def _tls_context() -> ssl.SSLContext:
    # Loading the system's CA certificates costs 20-150 ms: once per process, not per mail.
    return ssl.create_default_context()


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    context = _tls_context() if settings.security in ("ssl", "starttls") else None
    smtp: smtplib.SMTP
    if settings.security == "ssl":
        smtp = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout,
                                context=context)
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    try:
        smtp.ehlo()
        if settings.security == "starttls":
            smtp.starttls(context=context)
            smtp.ehlo()
        if settings.username:
            smtp.login(settings.username, settings.password or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def _drop(held: dict[str, Any]) -> None:
    smtp = held.pop("smtp", None)
    held.pop("settings", None)
    if smtp is not None:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


@contextmanager
def reuse_connection() -> Iterator[None]:
    """Within it, ``send`` keeps one SMTP connection for every mail of this thread (an
    outbox drain), and closes it at the end; outside it, each mail has its own."""
    if getattr(_HELD, "connection", None) is not None:
        yield
        return
    _HELD.connection = held = {}
    try:
        yield
    finally:
        _HELD.connection = None
        _drop(held)


def send(settings: SmtpSettings, message: EmailMessage, recipients: list[str]) -> dict[str, Any]:
    """Hand ``message`` to the server; raises ``smtplib``/``OSError`` errors on failure.

    Returns the recipients the server refused while accepting the others (usually none).
    Within ``reuse_connection`` the connection is kept for the next mail (a server that
    dropped it is dialled again once); a failure closes it.
    """
    envelope_from = parseaddr(settings.sender)[1]
    to_addrs = [parseaddr(r)[1] for r in recipients]
    held: dict[str, Any] | None = getattr(_HELD, "connection", None)
    if held is None:
        with _connect(settings) as smtp:
            return smtp.send_message(message, from_addr=envelope_from, to_addrs=to_addrs)
    for attempt in (1, 2):
        if held.get("settings") != settings:
            _drop(held)
            held["smtp"], held["settings"] = _connect(settings), settings
        try:
            return held["smtp"].send_message(message, from_addr=envelope_from,
                                             to_addrs=to_addrs)
        except smtplib.SMTPServerDisconnected:
            _drop(held)
            if attempt == 2:
                raise
        except BaseException:
            _drop(held)
            raise
    raise AssertionError("not reached")

