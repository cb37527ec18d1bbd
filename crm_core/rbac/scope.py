"""Data scope: a user sees records they own, their department's (with sub-departments), or all.

A model opts in with ``__data_scope__ = DataScope(kind=...)``; each role grants, per kind of
record (or ``*`` for any kind), ``own``, ``department`` or ``all``, and a user gets the widest
scope among their roles. ``scoped()`` turns that into a WHERE clause; ``get_scoped_or_404``
answers 404 for a record outside the scope, so nobody learns that it exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from flask import abort, g, has_request_context
from sqlalchemy import bindparam, false, inspect, or_, select

from ..db import get_session
from .models import SCOPES, Department, RoleScope, UserRole
from .system import in_system_context

DEFAULT_KIND = "*"
_RANK = {name: rank for rank, name in enumerate(SCOPES)}  # own < department < all


@dataclass(frozen=True)
class DataScope:
    """Declared on a model as ``__data_scope__``: its record kind and owner/department columns."""

    kind: str
    owner: str = "owner_id"
    department: str | None = "department_id"


@dataclass(frozen=True)
class ScopeThrough:
    """Declared on a model as ``__data_scope__`` when its rows belong to a scoped record
    (a customer's contacts): a row is in a user's scope when the record its ``column`` names
    is. ``parent`` is the scoped model; ``parent_deleted`` its soft-delete column, when rows
    of a deleted parent leave with it (out of scope for everyone)::

        class Contact(Model):
            __data_scope__ = ScopeThrough("customer_id", Customer, parent_deleted="deleted_at")

    It is not a scope of its own: the role editor offers no kind for it, owner and
    department are the parent's, and the operation log follows the parent (by the foreign
    key, as for any row of a scoped record).
    """

    column: str
    parent: type
    parent_deleted: str | None = None

    @property
    def kind(self) -> str | None:
        """The parent's record kind."""
        spec = data_scope_of(self.parent)
        return spec.kind if spec is not None else None


def data_scope_of(model: type) -> DataScope | None:
    """The model's ``__data_scope__`` declaration, or None when its records are not scoped."""
    spec = getattr(model, "__data_scope__", None)
    return spec if isinstance(spec, DataScope) else None


def scoped_kinds(models: list[type]) -> list[str]:
    """The sorted record kinds that ``models`` declare (for the role scope editor)."""
    return sorted({spec.kind for model in models if (spec := data_scope_of(model)) is not None})


def _request_cache(name: str) -> dict[Any, Any] | None:
    """A per-request dict on ``flask.g``; None outside a request (never stale in a worker)."""
    if not has_request_context():
        return None
    cache = g.get(name)
    if cache is None:
        cache = {}
        setattr(g, name, cache)
    return cache


def prime_role_scopes(user_id: int, scopes: dict[int, dict[str, str]]) -> None:
    """Give this request the user's role scopes, read a moment ago (the API's token cache,
    ``crm_core.api.token_cache``), so they are not read again."""
    cache = _request_cache("crm_role_scopes")
    if cache is not None:
        cache[user_id] = scopes


def role_scopes(user_id: int) -> dict[int, dict[str, str]]:
    """``{role_id: {kind: scope}}`` for each of the user's roles (roles without rows too),
    read once per request."""
    return _role_scopes(user_id)


def _role_scopes(user_id: int) -> dict[int, dict[str, str]]:
    """``{role_id: {kind: scope}}`` for each of the user's roles (roles without rows too)."""
    cache = _request_cache("crm_role_scopes")
    if cache is not None and user_id in cache:
        return cache[user_id]
    # one statement (a list's budget is scope, page, related names): the user's roles, each
    # with its scope rows, if any
    rows = get_session().execute(
        select(UserRole.role_id, RoleScope.kind, RoleScope.scope)
        .outerjoin(RoleScope, RoleScope.role_id == UserRole.role_id)
        .where(UserRole.user_id == user_id))
    roles: dict[int, dict[str, str]] = {}
    for role_id, kind, scope in rows:
        scopes = roles.setdefault(role_id, {})
        if kind is not None:
            scopes[kind] = scope
    if cache is not None:
        cache[user_id] = roles
    return roles


def widest_scope(role_scopes: list[dict[str, str]], kind: str) -> str:
    """The widest scope any of these roles grants for ``kind``.

    A role's scope for a kind is its row for that kind, else its ``*`` row, else ``own``;
    no roles at all means ``own``.
    """
    best = "own"
    for scopes in role_scopes:
        scope = scopes.get(kind) or scopes.get(DEFAULT_KIND) or "own"
        if _RANK.get(scope, 0) > _RANK[best]:
            best = scope
    return best


def _resolve_user(user: Any) -> Any:
    """The user object to scope by: the given one, one loaded by id, or the signed-in user."""
    if isinstance(user, int) and not isinstance(user, bool):
        from ..auth.models import User

        return get_session().get(User, user)
    if user is not None:
        return user
    if not has_request_context():
        return None
    from flask_login import current_user

    return current_user._get_current_object() if current_user.is_authenticated else None


def user_scope(user: Any, kind: str) -> str:
    """``"own"``, ``"department"`` or ``"all"``: the widest scope the user's roles give.

    Superusers see all; a user without roles sees only their own records.
    """
    user = _resolve_user(user)
    if user is None or not getattr(user, "is_active", False):
        return "own"
    if user.is_superuser:
        return "all"
    return widest_scope(list(_role_scopes(user.id).values()), kind)


def scope_condition(model: type, user: Any) -> Any | None:
    """The WHERE condition limiting ``model`` to ``user``'s scope; None when unrestricted.

    ``user`` is a user object or id (None: the signed-in user). Without a user (anonymous,
    or outside a request with no user given) the condition matches nothing, except inside
    ``system_context``, where no user means every row.
    """
    through = getattr(model, "__data_scope__", None)
    if isinstance(through, ScopeThrough):
        return _through_condition(model, through, user)
    spec = data_scope_of(model)
    if spec is None:
        return None
    if user is None and in_system_context():  # deliberately across scopes, and logged
        return None
    shape, values = _shape(spec, _resolve_user(user))
    return _condition(model, spec, shape, values.get(SCOPE_USER), values.get(SCOPE_DEPARTMENT))


#: The names of the bind parameters of ``bound_scope_condition``'s conditions.
SCOPE_USER, SCOPE_DEPARTMENT = "crm_scope_user", "crm_scope_department"


def bound_scope_condition(model: type, user: Any) -> tuple[Any | None, dict[str, Any]]:
    """``scope_condition`` of a model declaring ``DataScope`` for a given user object, as a
    condition built once per model and kind of scope (own, department, all, nothing) with
    the user's values as bind parameters: ``(condition or None, {name: value})``. A list
    that reuses its statement across requests (the customers API) passes the values when it
    runs it; the rows are those ``scope_condition`` selects."""
    spec = data_scope_of(model)
    if spec is None:
        return None, {}
    shape, values = _shape(spec, user)
    return _bound_condition(model, shape), values


@cache
def _bound_condition(model: type, shape: str) -> Any | None:
    spec = data_scope_of(model)
    return _condition(model, spec, shape, bindparam(SCOPE_USER),
                      bindparam(SCOPE_DEPARTMENT))


def _shape(spec: DataScope, user: Any) -> tuple[str, dict[str, Any]]:
    """Which kind of condition ``user`` gets (nothing, all, department, own) and its
    values."""
    if user is None or not getattr(user, "is_active", False):
        return "nothing", {}
    scope = user_scope(user, spec.kind)
    if scope == "all":
        return "all", {}
    if scope == "department" and spec.department and user.department_id is not None:
        return "department", {SCOPE_USER: user.id, SCOPE_DEPARTMENT: user.department_id}
    return "own", {SCOPE_USER: user.id}


def _condition(model: type, spec: DataScope, shape: str, user_id: Any,
               department_id: Any) -> Any | None:
    if shape == "all":
        return None
    if shape == "nothing":
        return false()
    owned = getattr(model, spec.owner) == user_id
    if shape == "department":
        # the subtree inside the list's own statement, not a look-up of the path first: one
        # round trip less per request (paths are digits and slashes: nothing to escape)
        path = select(Department.path).where(Department.id == department_id) \
            .scalar_subquery()
        subtree = select(Department.id).where(Department.path.like(path.concat("%")))
        return or_(getattr(model, spec.department).in_(subtree), owned)
    return owned


def _through_condition(model: type, through: ScopeThrough, user: Any) -> Any | None:
    """``column IN (the parent ids in scope)``; None when every parent is (and none is
    deleted or deletion does not matter)."""
    parent = through.parent
    conditions = []
    parent_condition = scope_condition(parent, user)
    if parent_condition is not None:
        conditions.append(parent_condition)
    if through.parent_deleted:
        conditions.append(getattr(parent, through.parent_deleted).is_(None))
    if not conditions:
        return None
    key = inspect(parent).primary_key[0]
    return getattr(model, through.column).in_(select(key).where(*conditions))


def scoped(statement: Any, model: type, user: Any = None) -> Any:
    """``statement`` restricted to the rows of ``model`` the user (default: current) may see.

    ``user`` may be a user object or a user id (a background job passes the id of the user
    who started it). Models without ``__data_scope__`` are returned unchanged.
    """
    condition = scope_condition(model, user)
    return statement if condition is None else statement.where(condition)


def get_scoped_or_404(model: type, record_id: Any, user: Any = None, *,
                      live_only: bool = False) -> Any:
    """The record if it exists and is in the user's scope; 404 otherwise (never 403).
    ``live_only``: a soft-deleted record (``deleted_at`` set) answers 404 too."""
    key = inspect(model).primary_key[0]
    statement = select(model).where(key == record_id)
    if live_only:
        statement = statement.where(model.deleted_at.is_(None))
    row = get_session().scalar(scoped(statement, model, user))
    if row is None:
        abort(404)
    return row
