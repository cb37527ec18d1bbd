"""The consent ledger (PIPL): every grant and withdrawal of a purpose by an e-mail address,
and the current state per (address, purpose) kept beside it in the same unit of work.

An unsubscribe is a withdrawal (``granted=False``, source ``unsubscribe``). Addresses are kept
trimmed and in lower case, so the ledger and contacts meet whatever case was typed.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import DomainError, model_for_table, utcnow
from plugins.customers.services import CONTACT_TABLE

from .models import PURPOSES, Consent, ConsentState

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
HISTORY_MAX = 1000


class ConsentError(DomainError):
    """A refused consent event; ``field`` names the field (422 in the API)."""

    def __init__(self, field: str | None, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


def normal_email(value: Any) -> str:
    """The address as the ledger keeps it (trimmed, lower case); ``ConsentError`` if it is
    not one."""
    email = str(value or "").strip().lower()
    # isprintable: no NUL, control characters or lone surrogates reach the database
    if len(email) > 254 or not email.isprintable() or not EMAIL.match(email):
        raise ConsentError("email", _("Enter a valid e-mail address."))
    return email


def _contact_of(session: Session, email: str) -> int | None:
    contact = model_for_table(CONTACT_TABLE)
    return session.scalar(select(contact.id).where(contact.email == email)
                          .order_by(contact.id).limit(1))


def record_consent(session: Session, values: dict[str, Any], user: Any) -> Consent:
    """Append a consent event (``email``, ``purpose``, ``granted``, ``source``,
    ``contact_id`` optional: found by the address when left out) and make it the current
    state of its (address, purpose). ``user`` None records the person themselves
    ("public")."""
    email = normal_email(values.get("email"))
    purpose = values.get("purpose") or "marketing_email"
    if purpose not in PURPOSES:
        raise ConsentError("purpose", _("Not a valid choice."))
    granted = values.get("granted")
    if not isinstance(granted, bool):
        raise ConsentError("granted", _("Say whether consent is granted or withdrawn."))
    source = str(values.get("source") or "").strip()
    if len(source) > 100:
        raise ConsentError("source", _("At most %(n)d characters.", n=100))
    contact_id = values.get("contact_id") or _contact_of(session, email)
    event = Consent(email=email, contact_id=contact_id, purpose=purpose, granted=granted,
                    source=source, at=utcnow(), user_id=getattr(user, "id", None))
    session.add(event)
    session.flush()
    state = session.get(ConsentState, (email, purpose))
    if state is None:
        session.add(ConsentState(email=email, purpose=purpose, granted=granted, at=event.at,
                                 consent_id=event.id))
    else:
        state.granted, state.at, state.consent_id = granted, event.at, event.id
    session.flush()
    return event


def consent_history(session: Session, email: Any) -> list[Consent]:
    """The address's consent events, newest first (at most ``HISTORY_MAX``)."""
    address = normal_email(email)
    return list(session.scalars(select(Consent).where(Consent.email == address)
                                .order_by(Consent.id.desc()).limit(HISTORY_MAX)))


def current_consent(session: Session, email: Any, purpose: str = "marketing_email") -> bool | None:
    """True granted, False withdrawn, None never asked."""
    state = session.get(ConsentState, (normal_email(email), purpose))
    return None if state is None else state.granted
