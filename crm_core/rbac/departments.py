"""Departments: a tree kept as materialised paths ("/1/4/"), so a subtree is one LIKE query.

Every function takes a session and plain values, changes rows through the ORM (so the
operation log sees each one) and raises ``DomainError`` with a message a user understands.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..auth.models import User
from ..errors import DomainError
from .models import Department
from .service import FieldError

MAX_NAME = 120


@dataclass(frozen=True)
class TreeRow:
    """One department in tree order, with its depth (0 for a top-level department)."""

    department: Department
    depth: int
    users: int
    children: int


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise FieldError("name", _("A department needs a name."))
    if len(name) > MAX_NAME:
        raise FieldError("name", _("A department name has at most %(n)d characters.", n=MAX_NAME))
    if "/" in name:
        raise FieldError("name", _("A department name cannot contain “/”."))
    return name


def get_department(session: Session, department_id: int) -> Department:
    """The department with this id; DomainError when there is none."""
    department = session.get(Department, department_id)
    if department is None:
        raise DomainError(_("That department does not exist (any more)."))
    return department


def _check_sibling_name(session: Session, name: str, parent_id: int | None,
                        exclude_id: int | None = None) -> None:
    query = select(Department.id).where(func.lower(Department.name) == name.lower(),
                                        Department.parent_id.is_(None) if parent_id is None
                                        else Department.parent_id == parent_id)
    if exclude_id is not None:
        query = query.where(Department.id != exclude_id)
    if session.scalar(query) is not None:
        raise FieldError("name", _("There is already a department named %(name)s here.", name=name))


def create_department(session: Session, name: str, parent_id: int | None = None) -> Department:
    """Add a department under ``parent_id`` (None: at the top)."""
    name = _clean_name(name)
    parent = get_department(session, parent_id) if parent_id is not None else None
    _check_sibling_name(session, name, parent_id)
    department = Department(name=name, parent_id=parent_id, path="/")
    session.add(department)
    session.flush()
    department.path = f"{parent.path if parent else '/'}{department.id}/"
    session.flush()
    return department


def rename_department(session: Session, department_id: int, name: str) -> Department:
    """Give the department a new name."""
    department = get_department(session, department_id)
    name = _clean_name(name)
    _check_sibling_name(session, name, department.parent_id, exclude_id=department.id)
    department.name = name
    session.flush()
    return department


def subtree(session: Session, department: Department) -> list[Department]:
    """The department and every department below it, in path order."""
    return list(session.scalars(select(Department).where(
        Department.path.startswith(department.path)).order_by(Department.path)))


def move_department(session: Session, department_id: int,
                    parent_id: int | None) -> Department:
    """Put the department (with its whole subtree) under ``parent_id`` (None: at the top).

    Refuses to move a department under itself or one of its own sub-departments.
    """
    department = get_department(session, department_id)
    if parent_id == department.parent_id:
        return department
    parent = get_department(session, parent_id) if parent_id is not None else None
    if parent is not None and parent.path.startswith(department.path):
        raise FieldError("parent", _("A department cannot be moved under itself or one of its "
                            "sub-departments."))
    _check_sibling_name(session, department.name, parent_id, exclude_id=department.id)
    old_prefix = department.path
    new_prefix = f"{parent.path if parent else '/'}{department.id}/"
    for row in subtree(session, department):
        row.path = new_prefix + row.path[len(old_prefix):]
    department.parent_id = parent_id
    session.flush()
    return department


def update_department(session: Session, department_id: int, name: str,
                      parent_id: int | None) -> Department:
    """Rename and move in one step (the edit form does both)."""
    move_department(session, department_id, parent_id)
    return rename_department(session, department_id, name)


def set_department_head(session: Session, department_id: int,
                        head_id: int | None) -> Department:
    """Name the department's head (None: no head), who decides "department head" approval
    steps of its members; the head must be an active user."""
    department = get_department(session, department_id)
    if head_id is not None:
        head = session.get(User, head_id)
        if head is None or not head.is_active:
            raise FieldError("head", _("Choose an active user as the head."))
    if department.head_id != head_id:
        department.head_id = head_id
        session.flush()
    return department


def head_choices(session: Session, limit: int = 2000) -> list[tuple[int, str]]:
    """``(id, "Name (username)")`` of active users, for the head select."""
    return [(user.id, f"{user.display_name or user.username} ({user.username})")
            for user in session.scalars(select(User).where(User.is_active.is_(True))
                                        .order_by(User.username).limit(limit))]


def delete_department(session: Session, department_id: int) -> None:
    """Remove a department that has no sub-departments and no users."""
    department = get_department(session, department_id)
    if session.scalar(select(Department.id).where(Department.parent_id == department.id)
                      .limit(1)) is not None:
        raise DomainError(_("%(name)s still has sub-departments; move or delete them first.",
                            name=department.name))
    users = session.scalar(select(func.count(User.id)).where(
        User.department_id == department.id)) or 0
    if users:
        raise DomainError(_("%(name)s still has %(n)d users; move them to another department "
                            "first.", name=department.name, n=users))
    session.delete(department)
    session.flush()


def department_tree(session: Session) -> list[TreeRow]:
    """Every department in tree order (siblings by name), with user and child counts."""
    departments = list(session.scalars(select(Department)))
    users = dict(session.execute(select(User.department_id, func.count(User.id))
                                 .where(User.department_id.is_not(None))
                                 .group_by(User.department_id)).all())
    children: dict[int | None, list[Department]] = {}
    for department in departments:
        children.setdefault(department.parent_id, []).append(department)
    for siblings in children.values():
        siblings.sort(key=lambda d: (d.name.lower(), d.id))
    rows: list[TreeRow] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for department in children.get(parent_id, []):
            rows.append(TreeRow(department, depth, users.get(department.id, 0),
                                len(children.get(department.id, []))))
            walk(department.id, depth + 1)

    walk(None, 0)
    return rows


def department_choices(session: Session, exclude_subtree_of: Department | None = None
                       ) -> list[tuple[int, str]]:
    """``(id, indented name)`` pairs in tree order, leaving out one subtree when asked."""
    skip = exclude_subtree_of.path if exclude_subtree_of is not None else None
    return [(row.department.id, "\u2003" * row.depth + row.department.name)
            for row in department_tree(session)
            if skip is None or not row.department.path.startswith(skip)]


def department_labels(session: Session) -> dict[int, str]:
    """Every department's full name ("Sales / North") by id, for lists of many users."""
    names = dict(session.execute(select(Department.id, Department.name)).all())
    paths = dict(session.execute(select(Department.id, Department.path)).all())
    return {department_id: " / ".join(names.get(int(part), "?")
                                      for part in path.strip("/").split("/") if part)
            for department_id, path in paths.items()}


def department_label(session: Session, department_id: int | None) -> str:
    """The department's full name, "Sales / North", or "" for none."""
    if department_id is None:
        return ""
    department = session.get(Department, department_id)
    if department is None:
        return ""
    ids = [int(part) for part in department.path.strip("/").split("/") if part]
    names = dict(session.execute(select(Department.id, Department.name)
                                 .where(Department.id.in_(ids))).all())
    return " / ".join(names.get(i, "?") for i in ids)


def find_department(session: Session, reference: str) -> Department:
    """The department a user names: its id, its name, or a path of names ("Sales/North")."""
    reference = reference.strip()
    if reference.isdigit():
        return get_department(session, int(reference))
    parts = [part.strip() for part in reference.split("/") if part.strip()]
    if not parts:
        raise DomainError(_("Name a department."))
    if len(parts) == 1:
        matches = list(session.scalars(select(Department).where(
            func.lower(Department.name) == parts[0].lower())))
        if not matches:
            raise DomainError(_("No department named %(name)s.", name=parts[0]))
        if len(matches) > 1:
            raise DomainError(_("There are %(n)d departments named %(name)s; give the path, "
                                "e.g. “Parent/%(name)s”.", n=len(matches), name=parts[0]))
        return matches[0]
    parent_id: int | None = None
    found: Department | None = None
    for part in parts:
        found = session.scalar(select(Department).where(
            func.lower(Department.name) == part.lower(),
            Department.parent_id.is_(None) if parent_id is None
            else Department.parent_id == parent_id))
        if found is None:
            raise DomainError(_("No department %(path)s.", path=reference))
        parent_id = found.id
    assert found is not None
    return found
