"""Org sync: the OA's departments and users into the kernel's, through ``toolkit.sync_department``
and ``toolkit.sync_user``. Created, renamed, moved, disabled; never deleted.

``oa_bridge_dept_link`` and ``oa_bridge_user_link`` keep which kernel row is which OA one. A user
not linked yet is matched by e-mail address (an account that exists before the sync), else
created as ``<connection>.<OA user id>`` with no roles and no usable password. A linked user
who left the OA (or is marked inactive there) is disabled; a department that left the OA is
kept as it is. A dry run computes the same changes and writes nothing.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_core.toolkit import (
    DomainError,
    model_for_table,
    record_event,
    sync_department,
    sync_user,
)

from ..models import OaConnection, OaDeptLink, OaUserLink
from ..tokens.client import TIMEOUT, OaClient
from . import directory
from .directory import OrgDept, OrgUser


@dataclass
class Change:
    """One thing the sync does (or would do): ``action`` is ``create_department``,
    ``update_department``, ``create_user``, ``link_user``, ``update_user``, ``disable_user`` or
    ``error``; ``fields`` the kernel fields it sets."""

    action: str
    oa_id: str
    name: str
    fields: dict[str, Any] = field(default_factory=dict)
    error: str = ""


@dataclass
class SyncReport:
    """What one sync of a connection did."""

    connection: str
    dry_run: bool
    changes: list[Change] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The report as plain JSON (``crm oa sync-org --json``)."""
        counts: dict[str, int] = {}
        for change in self.changes:
            counts[change.action] = counts.get(change.action, 0) + 1
        return {"connection": self.connection, "dry_run": self.dry_run, "counts": counts,
                "changes": [asdict(change) for change in self.changes]}


def _username(session: Session, connection: OaConnection, oa_id: str) -> str:
    user_model = model_for_table("core_user")
    base = re.sub(r"[^A-Za-z0-9_.@-]", "_", f"{connection.name}.{oa_id}")[:70]
    name, number = base, 1
    while session.scalar(select(user_model.id).where(
            func.lower(user_model.username) == name.lower())) is not None:
        number += 1
        name = f"{base}-{number}"
    return name


class _Sync:
    def __init__(self, session: Session, connection: OaConnection, dry_run: bool) -> None:
        self.session, self.connection, self.dry_run = session, connection, dry_run
        self.report = SyncReport(connection.name, dry_run)
        self.dept_ids: dict[str, int] = dict(session.execute(
            select(OaDeptLink.oa_dept_id, OaDeptLink.department_id)
            .where(OaDeptLink.connection_id == connection.id)).all())
        self.planned = -1  # ids of departments a dry run would create
        self.linked_users = set(session.scalars(select(OaUserLink.user_id).where(
            OaUserLink.connection_id == connection.id)))

    def change(self, action: str, oa_id: str, label: str, **fields: Any) -> None:
        self.report.changes.append(Change(action, oa_id, label, fields))

    def error(self, oa_id: str, name: str, problem: Exception) -> None:
        self.report.changes.append(Change("error", oa_id, name, error=str(problem)[:300]))

    def department(self, dept: OrgDept) -> None:
        department_model = model_for_table("core_department")
        parent_id = self.dept_ids.get(dept.parent) if dept.parent else None
        name = dept.name.replace("/", "／").strip()[:120] or dept.oa_id
        linked = self.dept_ids.get(dept.oa_id)
        row = self.session.get(department_model, linked) if linked else None
        if row is not None and row.name == name and row.parent_id == parent_id:
            return
        action = "update_department" if row is not None else "create_department"
        self.change(action, dept.oa_id, name, name=name, parent_id=parent_id)
        if self.dry_run:
            if row is None:
                self.dept_ids[dept.oa_id], self.planned = self.planned, self.planned - 1
            return
        try:
            with self.session.begin_nested():
                saved = sync_department(self.session, row.id if row is not None else None,
                                        name=name, parent_id=parent_id)
                if row is None:
                    self.session.add(OaDeptLink(connection_id=self.connection.id,
                                                department_id=saved.id, oa_dept_id=dept.oa_id))
                    self.session.flush()
        except DomainError as refused:
            self.report.changes.pop()
            self.error(dept.oa_id, name, refused)
            return
        self.dept_ids[dept.oa_id] = saved.id

    def user(self, person: OrgUser, link: OaUserLink | None) -> None:
        user_model = model_for_table("core_user")
        department_id = self.dept_ids.get(person.dept) if person.dept else None
        email = person.email.strip() or None
        fields = {"display_name": person.name[:120], "email": email,
                  "department_id": department_id, "active": person.active}
        user = self.session.get(user_model, link.user_id) if link is not None else None
        action = "update_user"
        if user is None and email:
            user = self.session.scalar(select(user_model).where(
                func.lower(user_model.email) == email.lower()))
            action = "link_user" if user is not None else action
            if user is not None and user.id in self.linked_users:
                self.error(person.oa_id, person.name, DomainError(
                    f"{user.username} is already linked to another OA user"))
                return
        if user is None:
            if not person.active:
                return
            action = "create_user"
        elif action == "update_user" and (user.display_name, user.email, user.department_id,
                                          user.is_active) == tuple(fields.values()):
            self._keep_link(link, person)
            return
        self.change(action, person.oa_id, person.name,
                    **({"username": _username(self.session, self.connection, person.oa_id)}
                       if user is None else {"user_id": user.id}), **fields)
        if self.dry_run:
            return
        try:
            with self.session.begin_nested():
                saved = sync_user(self.session, user.id if user is not None else None,
                                  username=self.report.changes[-1].fields.get("username", ""),
                                  **fields)
                if link is None:
                    link = OaUserLink(connection_id=self.connection.id, user_id=saved.id,
                                      oa_user_id=person.oa_id)
                    self.session.add(link)
                self._keep_link(link, person)
                self.session.flush()
        except DomainError as refused:
            self.report.changes.pop()
            self.error(person.oa_id, person.name, refused)

    def _keep_link(self, link: OaUserLink | None, person: OrgUser) -> None:
        if link is not None and not self.dry_run:
            link.mobile, link.oa_dept_id = person.mobile[:30], (person.dept or "")[:100]
            others = ",".join(person.others)
            if link.other_dept_ids != others:
                link.other_dept_ids = others

    def disable(self, link: OaUserLink) -> None:
        user = self.session.get(model_for_table("core_user"), link.user_id)
        if user is None or not user.is_active:
            return
        self.change("disable_user", link.oa_user_id, user.display_name or user.username,
                    user_id=user.id, active=False)
        if self.dry_run:
            return
        try:
            with self.session.begin_nested():
                sync_user(self.session, user.id, display_name=user.display_name,
                          email=user.email, department_id=user.department_id, active=False)
        except DomainError as refused:
            self.report.changes.pop()
            self.error(link.oa_user_id, user.username, refused)


def sync_org(session: Session, connection: OaConnection, *, dry_run: bool = False,
             http: httpx.Client | None = None) -> SyncReport:
    """Bring the OA's departments and users into the kernel (``dry_run``: only report).

    Raises ``VendorError`` when the OA cannot be read; nothing is written then. The caller
    commits (a dry run leaves nothing to commit)."""
    with httpx.Client(timeout=TIMEOUT) if http is None else _borrowed(http) as client_http:
        client = OaClient(session, connection, http=client_http)
        depts = directory.departments(client)
        people = directory.users(client, [dept.oa_id for dept in depts])
    sync = _Sync(session, connection, dry_run)
    for dept in depts:
        sync.department(dept)
    links = {link.oa_user_id: link for link in session.scalars(
        select(OaUserLink).where(OaUserLink.connection_id == connection.id))}
    for person in people:
        sync.user(person, links.pop(person.oa_id, None))
    if people:  # an OA that lists nobody (a contact scope of zero) disables nobody
        for link in links.values():
            sync.disable(link)
    elif links:
        sync.error("", connection.name, DomainError("the OA listed no users; nobody disabled"))
    if not dry_run:
        counts = sync.report.as_json()["counts"]
        record_event("oa_org_synced",
                     _l("Org structure of %(name)s synced: %(counts)s", name=connection.name,
                        counts=", ".join(f"{key} {value}" for key, value in
                                         sorted(counts.items())) or "-"),
                     model=OaConnection, record_id=connection.id, user="system")
    return sync.report


class _borrowed:
    """A caller's httpx client in a ``with`` that leaves it open."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def __enter__(self) -> httpx.Client:
        return self.http

    def __exit__(self, *exc: object) -> None:
        return None
