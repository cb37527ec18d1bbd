"""Bulk actions on many customers: assign owner, add or remove a tag, change type, move to
the trash (export is handed to the export part).

The targets are a selection of ids or the whole filtered set, always within the acting user's
data scope and never in the trash. Up to ``inline_limit()`` customers (500 by default, setting
``CRM_CUSTOMERS_BULK_INLINE_LIMIT``) are changed in the request; more run as the background
job ``customers.bulk_action`` with a progress bar. Every change goes through the services
(``update_customer``, ``add_tag``, ``remove_tag``, ``delete_customer``), one customer at a
time, so events fire and the operation log records each change; the work is committed every
``BATCH`` customers so a long run holds no long transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from crm_core.toolkit import (
    DomainError,
    JobHandle,
    TaskSpec,
    db,
    plugin_config,
    scoped,
    send_task,
)

from ..classification import services as classification
from ..models import Customer
from ..records.queries import CustomerNotFound, filter_conditions
from ..records.services import add_tag, delete_customer, remove_tag, update_customer
from ..segments.services import filters_from_json

__all__ = ["ACTIONS", "BATCH", "INLINE_LIMIT", "BulkAction", "apply_to", "bulk_action_job",
           "celery_tasks", "count_targets", "done_message", "inline_limit",
           "refresh_counts", "targets"]

log = logging.getLogger(__name__)

INLINE_LIMIT = 500
BATCH = 200


@dataclass(frozen=True)
class BulkAction:
    """One bulk action: its permission, its label and the parameter it needs (if any).

    ``missing`` is what a user without the permission sees instead: the bulk menu shows it
    as a disabled item with the explanation ``why`` beside the menu, rather than leaving the
    action out silently (None: left out).
    """

    name: str
    label: Any
    permission: str
    param: str | None = None
    missing: Any = None
    why: Any = None


ACTIONS = {action.name: action for action in (
    BulkAction("assign_owner", _l("Assign owner"), "customers.customer.edit", "owner_id"),
    BulkAction("add_tag", _l("Add tag"), "customers.customer.edit", "tag_id"),
    BulkAction("remove_tag", _l("Remove tag"), "customers.customer.edit", "tag_id"),
    BulkAction("change_type", _l("Change type"), "customers.customer.edit", "customer_type_id"),
    BulkAction("trash", _l("Move to trash"), "customers.customer.delete"),
    # Export is a manager's: customer lists should not leave with departing staff.
    BulkAction("export", _l("Export"), "customers.customer.export", "fmt",
               missing=_l("Export: ask a manager"),
               why=_l("Exporting customers is a manager's permission, so customer lists do "
                      "not leave with departing staff. Ask a manager for the export you "
                      "need.")),
)}


def inline_limit() -> int:
    """How many customers a bulk action changes in the request before it becomes a job."""
    value = plugin_config("customers", "bulk_inline_limit", INLINE_LIMIT)
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        raise DomainError(f"CRM_CUSTOMERS_BULK_INLINE_LIMIT must be a number, not {value!r}"
                          ) from None


def targets(user: Any, ids: Sequence[int] | None, filters: Mapping[str, Any] | None
            ) -> Select[Any]:
    """The ids the action touches: the selection, or the filtered set, in the user's scope
    and out of the trash (the list's own rows: its total counts them)."""
    query = scoped(select(Customer.id), Customer, user).where(Customer.deleted_at.is_(None))
    if ids is not None:
        return query.where(Customer.id.in_(list(ids)))
    return query.where(*filter_conditions(dict(filters or {})))


def count_targets(session: Session, *, user: Any, ids: Sequence[int] | None = None,
                  filters: Mapping[str, Any] | None = None) -> int:
    """How many customers an action on ``ids`` (or, when None, on ``filters``) would touch:
    the number the confirmation shows."""
    subquery = targets(user, ids, filters).subquery()
    return session.scalar(select(func.count()).select_from(subquery)) or 0


def _batches(session: Session, user: Any, ids: Sequence[int] | None,
             filters: Mapping[str, Any] | None, size: int) -> Iterator[list[int]]:
    # Keyset on id, re-reading after each committed batch: rows the action has moved out of
    # the filter (a new owner, the trash) are behind the cursor and never revisited.
    last = 0
    while True:
        chunk = list(session.scalars(targets(user, ids, filters).where(Customer.id > last)
                                     .order_by(Customer.id).limit(size)))
        if not chunk:
            return
        yield chunk
        last = chunk[-1]


def _apply_one(session: Session, customer_id: int, action: str, value: Any, user: Any) -> bool:
    if action == "assign_owner":
        # The services move the customer to the new owner's department.
        return bool(update_customer(session, customer_id, {"owner_id": value},
                                             user=user))
    if action == "change_type":
        return bool(update_customer(session, customer_id,
                                             {"customer_type_id": value}, user=user))
    if action == "add_tag":
        return add_tag(session, customer_id, value, user=user)
    if action == "remove_tag":
        return remove_tag(session, customer_id, value, user=user)
    if action == "trash":
        delete_customer(session, customer_id, user=user)
        return True
    raise DomainError(_("Unknown bulk action: %(name)s.", name=action))


def apply_to(session: Session, *, user: Any, action: str, value: Any = None,
             ids: Sequence[int] | None = None, filters: Mapping[str, Any] | None = None,
             progress: Callable[[int, int], None] | None = None, batch: int = BATCH) -> int:
    """Run ``action`` (one of ``ACTIONS`` but export) with ``value`` (the owner, tag or type
    id) on the selection ``ids`` or, when None, every customer matching ``filters``, as
    ``user`` sees them. Commits every ``batch`` customers; returns how many really changed.
    ``progress(done, total)`` is called after each batch.

    A value the services refuse (no such owner, tag or type) raises its FieldError before
    anything is committed, since the first customer already meets it.
    """
    if action not in ACTIONS or action == "export":
        raise DomainError(_("Unknown bulk action: %(name)s.", name=action))
    if action in ("assign_owner", "add_tag", "remove_tag") and value is None:
        raise DomainError(_("Choose what to set."))
    total = count_targets(session, user=user, ids=ids, filters=filters)
    done = changed = 0
    for chunk in _batches(session, user, ids, filters, batch):
        for customer_id in chunk:
            try:
                changed += _apply_one(session, customer_id, action, value, user)
            except CustomerNotFound:
                continue  # deleted or moved out of scope since the count
        session.commit()
        done += len(chunk)
        if progress is not None:
            progress(done, total)
    return changed


def done_message(action: str, changed: int, cleared: bool = False, name: str = "") -> str:
    """What a bulk action did, for the message after it: "Added the tag VIP to 12
    customers." ``name`` is the tag's, owner's or type's; ``cleared``: the type was
    removed (no value)."""
    if action == "add_tag":
        return ngettext("Added the tag %(name)s to %(num)d customer.",
                        "Added the tag %(name)s to %(num)d customers.", changed, name=name)
    if action == "remove_tag":
        return ngettext("Removed the tag %(name)s from %(num)d customer.",
                        "Removed the tag %(name)s from %(num)d customers.", changed, name=name)
    if action == "assign_owner":
        return ngettext("Assigned %(num)d customer to %(name)s.",
                        "Assigned %(num)d customers to %(name)s.", changed, name=name)
    if action == "change_type" and cleared:
        return ngettext("Removed the type of %(num)d customer.",
                        "Removed the type of %(num)d customers.", changed)
    if action == "change_type":
        return ngettext("Changed the type of %(num)d customer to %(name)s.",
                        "Changed the type of %(num)d customers to %(name)s.", changed,
                        name=name)
    if action == "trash":
        return ngettext("Moved %(num)d customer to the trash.",
                        "Moved %(num)d customers to the trash.", changed)
    return ngettext("%(num)d customer changed.", "%(num)d customers changed.", changed)


def refresh_counts(session: Session, *, queue: bool) -> None:
    """Bring the dashboard widgets' counts up to date after a bulk action.

    The refresh groups every customer (seconds at a million), so a request queues the
    periodic task ``customers.refresh_stats`` (``queue=True``) instead of waiting for it; a
    job runs it at once."""
    if not queue:
        classification.refresh_stats(session)
        session.commit()
        return
    try:
        send_task("customers.refresh_stats")
    except Exception:  # noqa: BLE001 - the change is saved; the periodic refresh catches up
        log.warning("Could not queue customers.refresh_stats after a bulk action",
                    exc_info=True)


def bulk_action_job(job: JobHandle, *, action: str, value: Any = None,
                    ids: list[int] | None = None, filters: dict[str, Any] | None = None) -> str:
    """The background form of ``apply_to``: acts as the user who started the job (their
    data scope); ``filters`` come as stored in a segment (JSON: ISO dates)."""
    session = db.session

    def progress(done: int, total: int) -> None:
        job.progress(100 * done / max(total, 1),
                     _("%(done)d of %(total)d customers", done=done, total=total))

    changed = apply_to(session, user=job.owner_id, action=action, value=value, ids=ids,
                       filters=None if filters is None else filters_from_json(filters),
                       progress=progress)
    refresh_counts(session, queue=False)
    return ngettext("%(num)d customer changed.", "%(num)d customers changed.", changed)


def celery_tasks() -> list[TaskSpec]:
    """The bulk action job (``customers.bulk_action``)."""
    return [TaskSpec("bulk_action", bulk_action_job, job=True)]
