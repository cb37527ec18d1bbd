"""Which operation log entries a viewer may read: the whole log, or what their scope allows.

With ``core.audit.view_all`` (administrators; superusers hold every permission) a viewer reads
every entry. With only ``core.audit.view`` (managers by default) a viewer reads:

- an entry about a data-scoped record (``scope_model``/``scope_id``, see ``scoping.py``) only
  while that record is in the viewer's data scope *now*: reassign a customer to another
  department and its history (its contact records, phones, tags...) goes with it, whoever
  wrote the entries. An entry whose record is gone, or whose owner could not be told, is
  left to the whole-log viewers;
- any other entry (sign-ins, users, settings, exports...) only when it was made by the viewer
  or by a user now in the viewer's department or below it.

Both are SQL conditions on the entry: a primary-key look-up of the scoped record per entry
read, and a sub-select of the department's users; a page of the log stays a keyset walk
down the entry ids (no count, no offset). Masked values (``__audit_sensitive__``) are masked
when written, so no viewer ever reads them.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, and_, exists, false, inspect, or_, select

from ..auth.models import User
from ..rbac.models import Department
from ..rbac.scope import scope_condition, scoped
from . import capture
from .models import AuditEntry

VIEW = "core.audit.view"
VIEW_ALL = "core.audit.view_all"


def sees_everything(user: Any) -> bool:
    """Whether ``user`` reads the whole log (``core.audit.view_all`` or a superuser)."""
    return bool(user is not None and user.has_permission(VIEW_ALL))


def _settings() -> capture.AuditSettings | None:
    return capture.settings_for_engine(current_app.extensions["crm_db"].engine)


def _colleagues(user: Any) -> Any:
    """The ids of the users in ``user``'s department and below it (a sub-select)."""
    path = select(Department.path).where(Department.id == user.department_id) \
        .scalar_subquery()
    subtree = select(Department.id).where(Department.path.startswith(path))
    return select(User.id).where(User.department_id.in_(subtree))


def visible_condition(user: Any) -> ColumnElement[bool] | None:
    """The WHERE condition on ``AuditEntry`` limiting it to what ``user`` may read; None
    when they read everything. Nobody (None, anonymous, disabled) reads nothing."""
    if sees_everything(user):
        return None
    if user is None or not getattr(user, "is_active", False):
        return false()
    settings = _settings()
    records = []
    for table in sorted({rule.owner_table for rule in (settings.scopes if settings else {})
                         .values()}):
        model = settings.models[table]  # type: ignore[union-attr]
        key = inspect(model).primary_key[0]
        condition = scope_condition(model, user)
        in_scope = AuditEntry.scope_id.is_not(None) if condition is None else exists(
            select(key).where(key == AuditEntry.scope_id, condition))
        records.append(and_(AuditEntry.scope_model == table, in_scope))
    actor = AuditEntry.user_id == user.id
    if user.department_id is not None:
        actor = or_(actor, AuditEntry.user_id.in_(_colleagues(user)))
    return or_(and_(AuditEntry.scope_model.is_(None), actor), *records)


def record_in_scope(session: Any, user: Any, table: str, record_id: str) -> bool:
    """Whether ``user`` may open the history of record ``record_id`` of ``table``.

    False when the table is data-scoped (or declares ``__audit_scope__``) and the record (or
    the record it belongs to) is gone or outside the user's scope; True for other tables,
    whose entries are then filtered one by one.
    """
    if sees_everything(user):
        return True
    settings = _settings()
    rule = settings.scopes.get(table) if settings else None
    if rule is None:
        return True
    owner = settings.models[rule.owner_table]  # type: ignore[union-attr]
    owner_key = inspect(owner).primary_key[0]
    record_key = int(record_id) if record_id.isdigit() and len(record_id) < 19 else None
    if record_key is None:
        return False
    owner_id: Any = record_key
    if rule.owner_table != table:
        model = settings.models[table]  # type: ignore[union-attr]
        keys = inspect(model).primary_key
        if len(keys) != 1:
            return True  # a composite key: its entries are filtered one by one
        owner_id = session.scalar(select(getattr(model, rule.column)).where(
            keys[0] == record_key))
        if owner_id is None:
            return True  # the row is gone: its entries are filtered one by one
    return session.scalar(scoped(select(owner_key).where(owner_key == owner_id), owner,
                                 user)) is not None
