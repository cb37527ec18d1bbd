"""Undoing an import (the customer spec's ``undo``): only what the undoer can still see and
nobody changed since; and taking back an all-or-nothing run that went bad (``take_back``).

Customers the import created go to the trash (``services.delete_customer``: restorable, a
``customer_deleted`` event), never deleted for good; values an upsert overwrote come back
(``services.update_customer``, ``services.remove_tag``) field by field, only where the
customer still holds what the import wrote. Everything runs through the services with the
undoer as ``user``, so the data scope decides what undo may touch. What it leaves alone is
returned with the reason (the kernel lists it on the import's page), without the name or id
of a customer the undoer cannot see.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from crm_core.toolkit import DomainError, UndoResult, scoped, utcnow

from ..events import emit
from ..models import Contact, ContactRecord, Customer
from ..records import services
from ..records.search_index import index_customers
from .write import current_values, restore_values

__all__ = ["take_back", "undo_import"]

BATCH = 500
_DERIVED = ("name_key", "pinyin_key", "department_id")  # recomputed by the services


class _Undo:
    def __init__(self, session: Session, imp: Any, user: Any) -> None:
        self.session, self.import_id, self.user = session, imp.id, user
        self.created_count = imp.created
        self.result = UndoResult()
        self.trashed = 0
        # Bulk-inserted and upserted rows carry the time of their batch, before the end.
        self.cutoff = imp.finished_at or utcnow()

    def skip(self, customer: tuple[int, str] | None, reason: str) -> None:
        self.result.skipped += 1
        customer_id, name = customer or ("", _("a customer you cannot see"))
        self.result.left.append((customer_id, name, reason))

    def visible(self, ids: list[int]) -> set[int]:
        query = select(Customer.id).where(Customer.id.in_(ids))
        if self.user is not None:  # None: a trusted caller, which may touch every customer
            query = scoped(query, Customer, self.user)
        return set(self.session.scalars(query))

    def trash_created(self, progress: Callable[[float], None]) -> None:
        last, total = 0, max(self.created_count, 1)
        while True:
            rows = self.session.execute(
                select(Customer.id, Customer.name, Customer.deleted_at,
                       Customer.updated_at > self.cutoff)
                .where(Customer.import_id == self.import_id, Customer.id > last)
                .order_by(Customer.id).limit(BATCH)).all()
            if not rows:
                return
            ids = [row[0] for row in rows]
            last = ids[-1]
            visible = self.visible(ids)
            worked_on = set(self.session.scalars(select(Contact.customer_id).where(
                Contact.customer_id.in_(ids)))) | set(self.session.scalars(
                    select(ContactRecord.customer_id).where(ContactRecord.customer_id.in_(ids))))
            for customer_id, name, deleted_at, changed in rows:
                if customer_id not in visible:
                    self.skip(None, _("A customer you can no longer see: left as it is."))
                elif deleted_at is not None:
                    self.skip((customer_id, name), _("Already in the trash."))
                elif changed or customer_id in worked_on:
                    self.skip((customer_id, name), _("Changed since the import, or has "
                                                     "contacts or contact records: left as "
                                                     "it is."))
                else:
                    services.delete_customer(self.session, customer_id, user=self.user)
                    self.trashed += 1
            self.session.commit()
            progress(min(self.trashed + self.result.skipped, total) / total)

    def restore_changed(self, updated: dict[Any, tuple[dict[str, Any], dict[str, Any]]]
                        ) -> None:
        changes = [(int(key), old, new) for key, (old, new) in updated.items()]
        for start in range(0, len(changes), BATCH):
            chunk = changes[start:start + BATCH]
            ids = [customer_id for customer_id, _old, _new in chunk]
            visible = self.visible(ids)
            created = set(self.session.scalars(select(Customer.id).where(
                Customer.id.in_(ids), Customer.import_id == self.import_id)))
            for customer_id, old, new in chunk:
                if customer_id in created:
                    continue  # created by this import: trashed or listed already
                if customer_id not in visible:
                    self.skip(None, _("A customer you can no longer see: left as it is."))
                    continue
                self._restore(customer_id, old, new)
            self.session.commit()

    def _restore(self, customer_id: int, old: dict[str, Any], new: dict[str, Any]) -> None:
        current = current_values(self.session, [customer_id]).get(customer_id)
        if current is None or current.get("deleted_at") is not None:
            self.skip((customer_id, current["name"] if current else ""),
                      _("In the trash: its values were not put back."))
            return
        label = (customer_id, current["name"])
        changes, tags, kept = {}, [], []
        for key, written in new.items():
            if key in _DERIVED:
                continue
            if key == "tag_ids":
                added = [tag for tag in written if tag not in (old.get(key) or [])]
                tags = [tag for tag in added if tag in (current.get(key) or [])]
            elif _same(current.get(key), written):
                changes[key] = old.get(key)
            else:
                kept.append(key)
        try:
            with self.session.begin_nested():
                if changes:
                    services.update_customer(self.session, customer_id, changes,
                                             user=self.user)
                for tag in tags:
                    services.remove_tag(self.session, customer_id, tag, user=self.user)
        except DomainError as exc:
            self.skip(label, _("Its values could not be put back: %(reason)s", reason=exc))
            return
        if changes or tags:
            self.result.restored += 1
        if kept:
            self.skip(label, _("Changed since the import, left as it is: %(fields)s.",
                               fields=", ".join(sorted(kept))))

def _same(current: Any, written: Any) -> bool:
    if isinstance(written, list):
        return list(current or []) == written
    return current == written


def undo_import(session: Session, created: list[Any],
                updated: dict[Any, tuple[dict[str, Any], dict[str, Any]]],
                user_id: int | None, *, imp: Any,
                progress: Callable[[float], None] | None = None) -> UndoResult:
    """Take back what import ``imp`` did, as far as ``user_id`` (the undoer; None: a trusted
    caller) may see and nobody changed since: created customers (found by their
    ``import_id``) to the trash, overwritten values (``updated``) back. Commits per batch."""
    undo = _Undo(session, imp, user_id)
    undo.trash_created(progress or (lambda _fraction: None))
    undo.restore_changed(updated)
    result = undo.result
    result.removed = undo.trashed
    result.message = _("Undone: %(trashed)d customers moved to the trash, %(restored)d given "
                       "their earlier values back, %(skipped)d left alone (listed below).",
                       trashed=undo.trashed, restored=result.restored,
                       skipped=result.skipped)
    return result


def take_back(session: Session, import_id: int,
              updated: dict[Any, tuple[dict[str, Any], dict[str, Any]]]) -> None:
    """All or nothing, a row failed while writing: take back what this very run wrote, at
    once and for good (nobody was told of an import that did not happen). Customers it
    created are purged (``customer_purged``), the values it overwrote put back."""
    connection = session.connection()
    ids = [int(key) for key in updated]
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        for customer_id in chunk:
            restore_values(connection, customer_id, updated[str(customer_id)][0]
                           if str(customer_id) in updated else updated[customer_id][0])
        index_customers(session, chunk)
    while purged := list(session.scalars(select(Customer.id).where(
            Customer.import_id == import_id).limit(BATCH))):
        for customer_id in purged:
            emit("customer_purged", session, customer_id=customer_id)
        connection.execute(delete(Customer.__table__).where(
            Customer.__table__.c.id.in_(purged)))
        index_customers(session, purged)
    session.commit()
