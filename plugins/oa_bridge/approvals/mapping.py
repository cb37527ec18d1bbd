"""Approval mappings and user links: which kernel approval definition is decided in which OA
process (with its form fields), and who each CRM user is in the OA.

``field_map`` is ``{OA form field name: value}`` where the value names what the approval
carries: ``title``, ``details``, ``amount``, ``subject_kind``, ``subject_id``,
``approval_id`` or ``requester``. Without a map the OA form gets 标题 (title), 详情 (details)
and, when there is one, 金额 (amount).
"""

from __future__ import annotations

import json
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import DomainError, model_for_table

from ..connections.services import find_connection
from ..models import OaConnection, OaProcess, OaUserLink

VALUES = ("title", "details", "amount", "subject_kind", "subject_id", "approval_id", "requester")
DEFAULT_MAP = {"标题": "title", "详情": "details", "金额": "amount"}


def _connection(session: Session, name: str) -> OaConnection:
    connection = find_connection(session, name, active_only=False)
    if connection is None:
        raise DomainError(_("There is no OA connection named “%(name)s”.", name=name))
    return connection


def link_user(session: Session, connection_name: str, username: str, oa_user_id: str,
              oa_dept_id: str = "") -> OaUserLink:
    """Link the CRM user ``username`` to ``oa_user_id`` (replacing their link, if any)."""
    connection = _connection(session, connection_name)
    user_model = model_for_table("core_user")
    user = session.scalar(select(user_model).where(user_model.username == username))
    if user is None:
        raise DomainError(_("There is no user named “%(name)s”.", name=username))
    if not oa_user_id.strip() or len(oa_user_id) > 100:
        raise DomainError(_("Enter the user's id in the OA (at most 100 characters)."))
    link = session.scalar(select(OaUserLink).where(OaUserLink.connection_id == connection.id,
                                                   OaUserLink.user_id == user.id))
    if link is None:
        link = OaUserLink(connection_id=connection.id, user_id=user.id)
        session.add(link)
    link.oa_user_id, link.oa_dept_id = oa_user_id.strip(), oa_dept_id.strip()[:100]
    session.flush()
    return link


def map_definition(session: Session, connection_name: str, definition: str,
                   process_code: str, field_map: dict[str, Any]) -> OaProcess:
    """Decide the approvals of ``definition`` (its name or id) in the OA process."""
    connection = _connection(session, connection_name)
    model = model_for_table("core_approval_definition")
    found = session.scalar(select(model).where(
        (model.id == int(definition)) if definition.isdigit() else (model.name == definition)))
    if found is None:
        raise DomainError(_("There is no approval definition “%(name)s”.", name=definition))
    if not isinstance(field_map, dict) or any(
            not isinstance(key, str) or value not in VALUES for key, value in field_map.items()):
        raise DomainError(_("Map OA form fields to one of: %(values)s.",
                            values=", ".join(VALUES)))
    if not process_code.strip() or len(process_code) > 200:
        raise DomainError(_("Enter the OA process code (at most 200 characters)."))
    process = session.scalar(select(OaProcess).where(OaProcess.definition_id == found.id))
    if process is None:
        process = OaProcess(definition_id=found.id)
        session.add(process)
    process.connection_id = connection.id
    process.process_code = process_code.strip()
    process.field_map = json.dumps(field_map, ensure_ascii=False)
    session.flush()
    return process


def process_of(session: Session, definition_id: int | None) -> OaProcess | None:
    """The OA process an approval definition is mapped to, if its connection is active."""
    if definition_id is None:
        return None
    return session.scalar(select(OaProcess).join(
        OaConnection, OaConnection.id == OaProcess.connection_id).where(
        OaProcess.definition_id == definition_id, OaConnection.active.is_(True)))


def link_of(session: Session, connection_id: int, user_id: int | None) -> OaUserLink | None:
    """The OA identity of a CRM user on a connection."""
    if user_id is None:
        return None
    return session.scalar(select(OaUserLink).where(OaUserLink.connection_id == connection_id,
                                                   OaUserLink.user_id == user_id))


def user_of(session: Session, connection_id: int, oa_user_id: str) -> int | None:
    """The CRM user linked to an OA user id, if any."""
    return session.scalar(select(OaUserLink.user_id).where(
        OaUserLink.connection_id == connection_id, OaUserLink.oa_user_id == oa_user_id))


def form_values(process: OaProcess, values: dict[str, Any]) -> list[tuple[str, str]]:
    """The OA form's ``(field, text)`` pairs for one approval."""
    field_map = json.loads(process.field_map or "{}") or DEFAULT_MAP
    pairs = []
    for name, source in field_map.items():
        value = values.get(source)
        if value is None or value == "":
            continue
        pairs.append((name, str(value)))
    return pairs
