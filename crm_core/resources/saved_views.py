"""Saved views of resource lists: a user's named filters, search, sort and columns, private
or shared with everyone who may see the list.

A view is read back only by its owner, or by anyone when shared; what it lists still passes
through the reader's own data scope, so sharing a view never shares records.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, String, UniqueConstraint, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..db import Model, utcnow
from ..edge.ints import INT32_MAX
from ..errors import DomainError

NAME_MAX = 80
VIEWS_MAX = 100
#: The query arguments a view keeps (filters are added per resource).
KEPT = ("q", "sort", "cols")


class SavedView(Model):
    """One saved list view of a resource (``resource`` is ``<plugin>.<name>``)."""

    __tablename__ = "core_saved_view"
    __table_args__ = (UniqueConstraint("user_id", "resource", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"),
                                         index=True)
    resource: Mapped[str] = mapped_column(String(100), index=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    args: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ViewNotFound(DomainError):
    """No such view, or not one the user may read (pages answer 404)."""

    status = 404


def list_views(session: Session, resource: str, user: Any) -> list[SavedView]:
    """The user's own views of ``resource`` and the shared ones, by name."""
    return list(session.scalars(
        select(SavedView).where(SavedView.resource == resource,
                                or_(SavedView.user_id == user.id, SavedView.shared.is_(True)))
        .order_by(SavedView.name, SavedView.id).limit(VIEWS_MAX)))


def get_view(session: Session, resource: str, view_id: Any, user: Any, *,
             own: bool = False) -> SavedView:
    """The view if the user may read it (``own``: only if it is theirs)."""
    view = None
    if isinstance(view_id, int) and 1 <= view_id <= INT32_MAX:
        view = session.get(SavedView, view_id)
    if view is None or view.resource != resource or (
            view.user_id != user.id and (own or not view.shared)):
        raise ViewNotFound(_("There is no such view, or you may not see it."))
    return view


def save_view(session: Session, resource: str, user: Any, name: str, args: dict[str, Any],
              shared: bool = False) -> SavedView:
    """Save (or replace, by name) the user's view of ``resource``."""
    name = (name or "").strip()
    if not name:
        raise DomainError(_("A view needs a name."))
    if len(name) > NAME_MAX:
        raise DomainError(_("A view name has at most %(max)d characters.", max=NAME_MAX))
    view = session.scalar(select(SavedView).where(
        SavedView.user_id == user.id, SavedView.resource == resource, SavedView.name == name))
    if view is None:
        view = SavedView(user_id=user.id, resource=resource, name=name)
        session.add(view)
    view.args, view.shared = args, bool(shared)
    session.flush()
    return view


def delete_view(session: Session, resource: str, view_id: Any, user: Any) -> str:
    """Delete one of the user's own views; returns its name."""
    view = get_view(session, resource, view_id, user, own=True)
    name = view.name
    session.delete(view)
    session.flush()
    return name
