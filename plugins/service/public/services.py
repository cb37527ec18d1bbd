"""The public form's rules: which form an address names, and a submission turned into a
request (customer and contact matched or made, the request with its first ticket routed to
the form's team, an optional file), with the signed link of its status page.

A visitor is nobody: the writes run as the system (``system_context``), the operation log
names ``system:public service form``. Services flush, the caller commits; refused input
raises ``SubmissionError`` with messages per field (the form shows them beside the fields,
the JSON answer as problem+json ``errors``).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import (
    DomainError,
    attachments,
    plugin_config,
    sign_link,
    system_context,
)
from plugins.customers import services as customers

from ..models import REQUEST_TYPES, PublicForm, ServiceRequest, Team
from ..requests.services import create_request

log = logging.getLogger(__name__)

#: The operation log's actor for everything a visitor's submission writes.
REASON = "public service form"
LINK_PURPOSE = "service.status"
ATTACHMENT_KIND = "service.request"
#: Longest accepted text per field (characters): the request's and the customer's columns.
LIMITS = {"name": 100, "phone": 40, "email": 254, "company": 200, "subject": 200,
          "content": 10000}
#: Files a customer may send: pictures, PDFs, text and office documents.
FILE_EXTENSIONS = frozenset({"jpg", "jpeg", "png", "gif", "webp", "heic", "pdf", "txt",
                             "doc", "docx", "xls", "xlsx"})
DEFAULT_FILE_MB = 5
ORIGIN = re.compile(r"\*|https?://[A-Za-z0-9.:\[\]*-]+")
KEY_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")


class FormNotFound(DomainError):
    """No active public form has this address."""

    status = 404


class SubmissionError(DomainError):
    """Refused input: ``errors`` maps each field to its messages."""

    status = 422

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(_("Please correct the marked fields."))
        self.errors = errors


@dataclass(frozen=True)
class FormSettings:
    """What a public form does with a submission (a stored form, or the built-in one)."""

    key: str
    name: str
    team_id: int | None
    department_id: int | None
    default_type: str = "inquiry"
    default_priority: str = "normal"
    origins: tuple[str, ...] = ("*",)
    intro: str = ""
    form_id: int | None = None


@dataclass
class Outcome:
    """A submission's result: the request (None when the honeypot caught a robot)."""

    request: ServiceRequest | None
    token: str = ""
    created: dict[str, bool] = field(default_factory=dict)


def frame_origins(text: str | None) -> tuple[str, ...]:
    """The origins of a form's ``frame_origins`` text (spaces, commas or lines between
    them); none means any site (``*``), none valid this site only."""
    parts = [part for part in re.split(r"[\s,]+", text or "") if part]
    if not parts:
        return ("*",)
    # never a ";" that would end the directive; nothing valid left: this site only
    return tuple(part for part in parts if ORIGIN.fullmatch(part)) or ("'self'",)


def _settings(session: Session, form: PublicForm) -> FormSettings:
    team = session.get(Team, form.team_id) if form.team_id is not None else None
    if team is None or not team.is_active:
        team = _first_team(session)
    return FormSettings(key=form.key, name=form.name, team_id=team.id if team else None,
                        department_id=team.department_id if team else None,
                        default_type=form.default_type,
                        default_priority=form.default_priority,
                        origins=frame_origins(form.frame_origins), intro=form.intro or "",
                        form_id=form.id)


def _first_team(session: Session) -> Team | None:
    return session.scalar(select(Team).where(Team.is_active.is_(True)).order_by(Team.id)
                          .limit(1))


def find_form(session: Session, key: str | None = None) -> FormSettings:
    """The active form at ``/service/form/<key>``; without a key the default one: the first
    active form, else a built-in form routed to the first active team. Raises
    ``FormNotFound``."""
    query = select(PublicForm).where(PublicForm.is_active.is_(True))
    if key is not None:
        if not KEY_PATTERN.match(key):
            raise FormNotFound(_("There is no such form."))
        query = query.where(PublicForm.key == key)
    form = session.scalar(query.order_by(PublicForm.id).limit(1))
    if form is not None:
        return _settings(session, form)
    if key is not None:
        raise FormNotFound(_("There is no such form."))
    team = _first_team(session)
    return FormSettings(key="", name=_("Web form"), team_id=team.id if team else None,
                        department_id=team.department_id if team else None)


def max_file_mb() -> float:
    """The largest file the public form takes, in MB (``CRM_SERVICE_FORM_MAX_FILE_MB``,
    default 5)."""
    return float(plugin_config("service", "form_max_file_mb", DEFAULT_FILE_MB))


def max_file_bytes() -> int:
    """The largest file the public form takes, in bytes."""
    return int(max_file_mb() * 1024 * 1024)


def _size(stream: BinaryIO) -> int:
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    return size


def check_values(values: dict[str, Any], upload: tuple[BinaryIO, str] | None = None
                 ) -> dict[str, str]:
    """The submission's text cleaned (stripped, lengths and type checked), else
    ``SubmissionError`` naming every refused field. Text is kept as typed: pages escape it."""
    errors: dict[str, list[str]] = {}
    for name in (*LIMITS, "type"):
        if not isinstance(values.get(name) or "", str):
            errors.setdefault(name, []).append(_("Send text here."))
    clean = {name: str(values.get(name) or "").strip() for name in LIMITS}
    for name, limit in LIMITS.items():
        if len(clean[name]) > limit:
            errors.setdefault(name, []).append(
                _("At most %(n)d characters (this has %(has)d).", n=limit,
                  has=len(clean[name])))
    for name in ("name", "subject"):
        if not clean[name]:
            errors.setdefault(name, []).append(_("This field is required."))
    if not clean["phone"] and not clean["email"]:
        errors.setdefault("phone", []).append(_("Enter a phone number or an e-mail address."))
    clean["type"] = str(values.get("type") or "").strip()
    if clean["type"] and clean["type"] not in REQUEST_TYPES:
        errors.setdefault("type", []).append(_("Not a valid choice."))
    if upload is not None:
        message = _file_problem(*upload)
        if message:
            errors.setdefault("file", []).append(message)
    if errors:
        raise SubmissionError(errors)
    return clean


def _file_problem(stream: BinaryIO, name: str) -> str | None:
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in FILE_EXTENSIONS:
        return _("Send a picture, a PDF, a text or an Office document (%(kinds)s).",
                 kinds=", ".join(sorted(FILE_EXTENSIONS)))
    if _size(stream) > max_file_bytes():
        return _("The file is larger than %(size)s MB, the limit for this form.",
                 size=f"{max_file_mb():g}")
    return None


def submit(session: Session, form: FormSettings, values: dict[str, Any],
           upload: tuple[BinaryIO, str] | None = None) -> Outcome:
    """Turn a visitor's submission into a request: the customer and contact found by phone
    or e-mail (else made), the request (channel web form, the form's team and its
    department, no owner) with its first ticket, the file attached; the status link's
    token. Raises ``SubmissionError``; the caller commits."""
    clean = check_values(values, upload)
    requester = {"requester_name": clean["name"], "requester_email": clean["email"].lower(),
                 "requester_phone": clean["phone"]}
    try:
        with system_context(REASON):
            match = customers.match_or_create_customer(
                session, name=clean["name"], phone=clean["phone"], email=clean["email"],
                company=clean["company"], source=str(form.name)[:50], reason=REASON)
            request = create_request(session, {
                "customer_id": match.customer.id,
                "contact_id": match.contact.id if match.contact else None,
                "type": clean["type"] or form.default_type, "channel": "web_form",
                "subject": clean["subject"], "content": clean["content"],
                "priority": form.default_priority, "team_id": form.team_id},
                None, columns={"department_id": form.department_id, **requester})
            if upload is not None:
                attachments.attach(session, kind=ATTACHMENT_KIND, record_id=request.id,
                                   stream=upload[0], file_name=upload[1], user_id=None)
    except DomainError as error:
        if isinstance(error, SubmissionError):
            raise
        raise SubmissionError({getattr(error, "field", None) or "_schema": [str(error)]}
                              ) from error
    log.info("public form %s: request %s (customer %s)", form.key or "default",
             request.number, match.customer.id)
    return Outcome(request, status_token(request.id),
                   {"customer": match.created_customer, "contact": match.created_contact})


def status_token(request_id: int) -> str:
    """The signed token of a request's status page."""
    return sign_link(LINK_PURPOSE, {"request": request_id})


def caught(form: FormSettings, address: str | None) -> Outcome:
    """A filled honeypot: nothing is saved, the attempt is logged."""
    log.warning("public form %s: honeypot filled from %s; nothing saved",
                form.key or "default", address or "unknown")
    return Outcome(None)
