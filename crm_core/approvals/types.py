"""What plugins declare to the approvals service, and what ``request_approval`` answers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app

from ..plugins import collect


@dataclass(frozen=True)
class ApprovalSubject:
    """A kind of record that may need approval (``sales.contract``).

    ``model`` is the record's model class: the kernel looks the subject up by id to see it
    still exists (a row with ``deleted_at`` set counts as deleted). ``url_for_subject(id)``
    returns the record page's URL, for links from the inbox.
    """

    kind: str
    label: str
    model: Any = None
    url_for_subject: Callable[[int], str] | None = None


@dataclass(frozen=True)
class ApprovalCondition:
    """A condition an admin may pick for a definition of subject kind ``kind``.

    ``check(subject_id=..., amount=...)`` says whether it holds for one request; a plugin's
    function may accept just the arguments it needs.
    """

    name: str
    label: str
    kind: str
    check: Callable[..., bool]


@dataclass(frozen=True)
class ApprovalResult:
    """What ``request_approval`` answers.

    ``needed`` is False when no definition applies: ``status`` is then ``"approved"`` and
    ``approval_id`` None, and the caller goes on. Otherwise ``status`` is ``"pending"``.
    """

    approval_id: int | None
    status: str
    needed: bool
    provider: str | None = None


def approval_subjects() -> dict[str, ApprovalSubject]:
    """Every subject kind the enabled plugins declare, by kind."""
    found: dict[str, ApprovalSubject] = {}
    for _plugin, subject in collect(current_app.extensions["crm"].pm, "crm_approval_subjects"):
        found.setdefault(subject.kind, subject)
    return found


def approval_conditions() -> dict[str, ApprovalCondition]:
    """Every condition the enabled plugins offer, by name."""
    found: dict[str, ApprovalCondition] = {}
    for _plugin, condition in collect(current_app.extensions["crm"].pm,
                                      "crm_approval_conditions"):
        found.setdefault(condition.name, condition)
    return found


def call_check(check: Callable[..., Any], **kwargs: Any) -> bool:
    """Call a condition's ``check`` with the keyword arguments it accepts."""
    import inspect

    parameters = inspect.signature(check).parameters
    if any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
        return bool(check(**kwargs))
    return bool(check(**{name: value for name, value in kwargs.items() if name in parameters}))
