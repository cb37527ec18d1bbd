"""Flags other plugins raise on a customer (an open complaint, an overdue payment) and clear
when the cause is gone; the 360° page shows the open ones. Re-exported by ``services``.

A flag is ``kind`` (``<plugin>.<name>``, labelled by the plugin through the hook
``crm_customer_flag_kinds``) and ``reference`` (what raised it: a request number, "" for the
customer as a whole): raising the same kind and reference again opens the same row again,
so a flag is never counted twice. The writes are ORM writes: the operation log records who
raised and cleared each.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import hooks, utcnow

from ..models import Customer, CustomerFlag
from ..validation import FieldError
from .queries import CustomerNotFound

__all__ = ["clear_flag", "flag_labels", "open_flags", "raise_flag"]

log = logging.getLogger(__name__)
_KIND = re.compile(r"[a-z][a-z0-9_]{0,28}\.[a-z][a-z0-9_]{0,28}")
REFERENCE_MAX, NOTE_MAX = 100, 200


def _checked(kind: str, reference: str) -> tuple[str, str]:
    if not isinstance(kind, str) or not _KIND.fullmatch(kind):
        raise FieldError("kind", _("A flag's kind is <plugin>.<name> in lower case."))
    reference = str(reference or "").strip()
    if len(reference) > REFERENCE_MAX:
        raise FieldError("reference", _("At most %(max)d characters.", max=REFERENCE_MAX))
    return kind, reference


def raise_flag(session: Session, customer_id: int, kind: str, *, reference: str = "",
               note: str = "") -> CustomerFlag:
    """Raise (or raise again) the flag ``kind`` for ``reference`` on the customer; returns
    it (flushed). ``note`` says why in a few words (at most 200 characters)."""
    kind, reference = _checked(kind, reference)
    note = " ".join(str(note or "").split())[:NOTE_MAX]
    if session.get(Customer, customer_id) is None:
        raise CustomerNotFound(_("There is no such customer."))
    flag = session.scalar(select(CustomerFlag).where(
        CustomerFlag.customer_id == customer_id, CustomerFlag.kind == kind,
        CustomerFlag.reference == reference))
    if flag is None:
        flag = CustomerFlag(customer_id=customer_id, kind=kind, reference=reference, note=note,
                            raised_at=utcnow())
        session.add(flag)
    elif flag.cleared_at is not None:
        flag.cleared_at, flag.raised_at = None, utcnow()
        flag.note = note or flag.note
    elif note:
        flag.note = note
    session.flush()
    return flag


def clear_flag(session: Session, customer_id: int, kind: str, *,
               reference: str | None = None) -> int:
    """Clear the customer's open flags of ``kind`` (only the one for ``reference`` when
    given); returns how many were open."""
    kind, _reference = _checked(kind, reference or "")
    query = select(CustomerFlag).where(CustomerFlag.customer_id == customer_id,
                                       CustomerFlag.kind == kind,
                                       CustomerFlag.cleared_at.is_(None))
    if reference is not None:
        query = query.where(CustomerFlag.reference == _reference)
    flags = list(session.scalars(query))
    now = utcnow()
    for flag in flags:
        flag.cleared_at = now
    session.flush()
    return len(flags)


def flag_labels() -> dict[str, Any]:
    """Every enabled plugin's flag kinds and their labels (a failing plugin is skipped)."""
    caller = getattr(hooks(), "crm_customer_flag_kinds", None)
    labels: dict[str, Any] = {}
    for impl in reversed(caller.get_hookimpls() if caller is not None else []):
        try:
            labels.update(impl.function() or {})
        except Exception:  # noqa: BLE001 - another plugin's bug must not break the page
            log.exception("Plugin %s failed in crm_customer_flag_kinds.", impl.plugin_name)
    return labels


def open_flags(session: Session, customer_id: int) -> list[dict[str, Any]]:
    """The customer's open flags of known kinds, oldest first: ``kind``, ``label``,
    ``reference``, ``note`` and ``raised_at``."""
    labels = flag_labels()
    if not labels:
        return []
    flags = session.scalars(select(CustomerFlag).where(
        CustomerFlag.customer_id == customer_id, CustomerFlag.cleared_at.is_(None),
        CustomerFlag.kind.in_(sorted(labels))).order_by(CustomerFlag.raised_at,
                                                        CustomerFlag.id))
    return [{"kind": flag.kind, "label": labels[flag.kind], "reference": flag.reference,
             "note": flag.note, "raised_at": flag.raised_at} for flag in flags]
