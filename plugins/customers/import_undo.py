"""Undoing an import: only what the undoer can still see and nobody changed since.

Customers the import created go to the trash (``services.delete_customer``: restorable, a
``customer_deleted`` event), never deleted for good; values an upsert overwrote come back
(``services.update_customer``, ``services.remove_tag``) field by field, only where the
customer still holds what the import wrote. Everything runs through the services with the
undoer as ``user``, so the data scope decides what undo may touch. What it leaves alone is
listed with the reason in ``undo.csv`` beside the import's other reports, without the name
or id of a customer the undoer cannot see.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import DomainError, record_event, scoped, utcnow

from . import services
from .import_settings import import_folder
from .import_write import change_values, current_values
from .models import Contact, ContactRecord, Customer, CustomerImport, ImportChange

__all__ = ["UNDO_REPORT", "UndoResult", "check_undoable", "undo_import"]

BATCH = 500
UNDO_REPORT = "undo.csv"
_DERIVED = ("name_key", "pinyin_key", "department_id")  # recomputed by the services


@dataclass
class UndoResult:
    """What undo did: customers moved to the trash, customers given values back, and how
    many it left alone (each listed in ``undo.csv``)."""

    trashed: int = 0
    restored: int = 0
    skipped: int = 0


def check_undoable(imp: CustomerImport) -> None:
    """DomainError for an import that was undone already or has not run."""
    if imp.undone_at is not None or imp.status == "undone":
        raise DomainError(_("This import was undone already."))
    if imp.status not in ("done", "failed", "undoing"):
        raise DomainError(_("Only a finished import can be undone."))


class _Undo:
    def __init__(self, session: Session, imp: CustomerImport, user: Any) -> None:
        self.session, self.imp, self.user = session, imp, user
        self.result = UndoResult()
        # Bulk-inserted and upserted rows carry the time of their batch, before the end.
        self.cutoff = imp.finished_at or utcnow()
        self._file = open(import_folder(imp.id) / UNDO_REPORT, "w",  # noqa: SIM115
                          encoding="utf-8", newline="")
        self._report = csv.writer(self._file)

    def skip(self, customer: tuple[int, str] | None, reason: str) -> None:
        self.result.skipped += 1
        customer_id, name = customer or ("", "")
        self._report.writerow([customer_id, name, reason])

    def visible(self, ids: list[int]) -> set[int]:
        query = select(Customer.id).where(Customer.id.in_(ids))
        if self.user is not None:  # None: a trusted caller, which may touch every customer
            query = scoped(query, Customer, self.user)
        return set(self.session.scalars(query))

    def trash_created(self, progress: Callable[[float], None]) -> None:
        last, total = 0, max(self.imp.created, 1)
        while True:
            rows = self.session.execute(
                select(Customer.id, Customer.name, Customer.deleted_at,
                       Customer.updated_at > self.cutoff)
                .where(Customer.import_id == self.imp.id, Customer.id > last)
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
                    self.result.trashed += 1
            self.session.commit()
            progress(min(self.result.trashed + self.result.skipped, total) / total)

    def restore_changed(self) -> None:
        table = ImportChange.__table__
        last = None
        while True:  # newest change first, so a customer changed twice ends as it was
            query = select(table.c.id, table.c.customer_id, table.c.old_values).where(
                table.c.import_id == self.imp.id)
            if last is not None:
                query = query.where(table.c.id < last)
            changes = self.session.execute(query.order_by(table.c.id.desc()).limit(BATCH)).all()
            if not changes:
                return
            last = changes[-1].id
            ids = list({change.customer_id for change in changes})
            visible = self.visible(ids)
            created = set(self.session.scalars(select(Customer.id).where(
                Customer.id.in_(ids), Customer.import_id == self.imp.id)))
            for _change_id, customer_id, stored in changes:
                if customer_id in created:
                    continue  # created by this import: trashed or listed already
                if customer_id not in visible:
                    self.skip(None, _("A customer you can no longer see: left as it is."))
                    continue
                self._restore(customer_id, *change_values(stored))
            self.session.commit()

    def _restore(self, customer_id: int, old: dict[str, Any], new: dict[str, Any] | None
                 ) -> None:
        current = current_values(self.session, [customer_id]).get(customer_id)
        if current is None or current.get("deleted_at") is not None:
            self.skip((customer_id, current["name"] if current else ""),
                      _("In the trash: its values were not put back."))
            return
        label = (customer_id, current["name"])
        if new is None:  # an import from before new values were kept: all or none
            fresh = self.session.scalar(select(Customer.id).where(
                Customer.id == customer_id, Customer.updated_at <= self.cutoff))
            new = {key: current.get(key) for key in old} if fresh else {}
            if not fresh:
                self.skip(label, _("Changed since the import: left as it is."))
                return
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

    def close(self) -> None:
        self._file.close()


def _same(current: Any, written: Any) -> bool:
    if isinstance(written, list):
        return list(current or []) == written
    return current == written


def undo_import(session: Session, imp: CustomerImport, *, user: Any = None,
                progress: Callable[[float], None] | None = None) -> UndoResult:
    """Take back what ``imp`` did, as far as ``user`` (the undoer; None: a trusted caller)
    may see and nobody changed since: created customers to the trash, overwritten values
    back. Commits per batch; refused for an import that was undone already or has not run.
    """
    check_undoable(imp)
    undo = _Undo(session, imp, user)
    try:
        undo.trash_created(progress or (lambda _fraction: None))
        undo.restore_changed()
    finally:
        undo.close()
    result = undo.result
    imp = session.get(CustomerImport, imp.id)
    imp.status, imp.undone_at = "undone", utcnow()
    imp.message = _("Undone: %(trashed)d customers moved to the trash, %(restored)d given "
                    "their earlier values back, %(skipped)d left alone (listed below).",
                    trashed=result.trashed, restored=result.restored, skipped=result.skipped)
    record_event("import_undo", f"Undid import {imp.id}: {result.trashed} customers to the "
                 f"trash, {result.restored} restored, {result.skipped} left alone",
                 model=CustomerImport, record_id=imp.id, session=session,
                 changes={"trashed": result.trashed, "restored": result.restored,
                          "skipped": result.skipped})
    session.commit()
    return result
