"""Reading one record and writing records of a resource: the only module of the package
that changes rows. Every write is captured by the operation log (model capture); the
caller commits.

Owner and department are set together here: a new record is owned by its author in the
author's department unless an owner is given, and a record's department always follows its
owner's, whatever path (form, API, bulk) changed it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import abort
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..custom_fields.records import apply_custom, clean_record_values
from ..db import utcnow
from ..edge.ints import INT32_MAX
from ..errors import DomainError
from ..rbac.scope import data_scope_of, scoped
from .declaration import Resource


class FieldRefused(DomainError):
    """A value a field may not take (a relation naming no record): 422 under ``field``."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _check_relations(session: Session, resource: Resource, values: Mapping[str, Any],
                     user: Any, record: Any = None) -> None:
    """Refuse a relation id that names no record ``user`` may choose (none, one outside
    their data scope, a deleted or inactive one), before the database's foreign key does;
    answered alike, so nobody learns what exists outside their scope."""
    from .relations import relation_allowed

    for item in resource.fields:
        value = values.get(item.name)
        if item.relation is None or value is None:
            continue
        current = getattr(record, item.name, None) if record is not None else None
        if not relation_allowed(session, item, user, value, current):
            raise FieldRefused(item.name, _("Not a valid choice."))


def get_record(session: Session, resource: Resource, record_id: Any, user: Any) -> Any:
    """The record if it exists, is not deleted and is in ``user``'s scope; else 404."""
    if not isinstance(record_id, int) or not 1 <= record_id <= INT32_MAX:
        abort(404)
    model = resource.model
    found = scoped(select(model).where(model.id == record_id), model, user)
    if resource.soft_delete:
        found = found.where(getattr(model, resource.soft_delete).is_(None))
    record = session.scalar(found)
    if record is None:
        abort(404)
    return record


def _owner_department(session: Session, owner_id: int | None) -> int | None:
    if owner_id is None:
        return None
    from ..auth.models import User

    return session.scalar(select(User.department_id).where(User.id == owner_id))


def _place(session: Session, resource: Resource, record: Any, values: Mapping[str, Any],
           user: Any, new: bool) -> None:
    """Set owner and department of ``record`` (data-scoped models only)."""
    spec = data_scope_of(resource.model)
    if spec is None:
        return
    owner_given = spec.owner in values and values[spec.owner] is not None
    if new and not owner_given and user is not None:
        setattr(record, spec.owner, user.id)
        if spec.department:
            setattr(record, spec.department, user.department_id)
    elif owner_given and spec.department:
        setattr(record, spec.department,
                _owner_department(session, values[spec.owner]))


def _storable(resource: Resource, values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` without the empty ones of NOT NULL columns (their default applies)."""
    columns = resource.model.__table__.columns  # type: ignore[attr-defined]
    return {name: value for name, value in values.items()
            if value is not None or name not in columns or columns[name].nullable}


def create_record(session: Session, resource: Resource, values: Mapping[str, Any],
                  user: Any) -> Any:
    """A new record with ``values`` (the resource's ``create`` when declared)."""
    values = clean_record_values(session, resource.model, _storable(resource, values), user)
    _check_relations(session, resource, values, user)
    if resource.create is not None:
        return apply_custom(session, resource.create(session, dict(values), user), values)
    record = resource.model(**dict(values))
    _place(session, resource, record, values, user, new=True)
    session.add(record)
    session.flush()
    return record


def update_record(session: Session, resource: Resource, record: Any,
                  values: Mapping[str, Any], user: Any) -> Any:
    """Change ``record``'s fields to ``values`` (the resource's ``update`` when declared)."""
    values = clean_record_values(session, resource.model, _storable(resource, values), user,
                                 record)
    _check_relations(session, resource, values, user, record)
    if resource.update is not None:
        done = resource.update(session, record, dict(values), user)
        apply_custom(session, record, values)  # a plugin's service need not know ``custom``
        return done
    for name, value in values.items():
        setattr(record, name, value)
    _place(session, resource, record, values, user, new=False)
    session.flush()
    return record


def delete_record(session: Session, resource: Resource, record: Any, user: Any) -> Any:
    """Delete ``record``: mark it deleted when the model has soft delete, else remove it
    (the resource's ``delete`` when declared; what it returns is returned, a message the
    page shows)."""
    done = None
    if resource.delete is not None:
        done = resource.delete(session, record, user)
    elif resource.soft_delete:
        setattr(record, resource.soft_delete, utcnow())
    else:
        session.delete(record)
    session.flush()
    return done
