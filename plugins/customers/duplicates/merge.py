"""Merging duplicate customers into one: the chosen field values, every phone and email,
contacts, contact records and tags end up on the kept ("target") customer; the others go to
the trash with a note saying where they went, and other plugins hear ``customer_merged``.

The whole merge runs inside a savepoint: when any step fails (a customer out of scope, a
refused value) nothing of it remains, even if the caller goes on to commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from crm_core.toolkit import DomainError, record_event

from ..contacts.services import refresh_contact_summary
from ..events import emit
from ..models import Contact, ContactRecord, Customer, CustomerTag
from ..records import queries, services
from ..records.fields import CUSTOMER_FIELDS, assign_code

__all__ = ["MAX_MERGE", "MERGE_FIELDS", "default_choices", "merge_customers"]

# The fields whose value the user chooses: services.CUSTOMER_FIELDS but phones and emails,
# which are united instead (the amount is summed, the last contact the latest). There is no
# department to choose: it follows the chosen owner (services.update_customer sets it).
MERGE_FIELDS = tuple(name for name in CUSTOMER_FIELDS if name not in ("phones", "emails"))
MAX_MERGE = 10


def _filled(value: Any) -> bool:
    return value is not None and value != ""


def default_choices(customers: Sequence[Customer], target_id: int) -> dict[str, int]:
    """For each of ``MERGE_FIELDS`` the id of the customer whose value is kept by default:
    the target's when it has one, else the first of the others that has one."""
    target = next(customer for customer in customers if customer.id == target_id)
    others = [customer for customer in customers if customer.id != target_id]
    choices = {}
    for name in MERGE_FIELDS:
        source = target if _filled(getattr(target, name)) else next(
            (other for other in others if _filled(getattr(other, name))), target)
        choices[name] = source.id
    return choices


def _load(session: Session, customer_id: int, user: Any) -> Customer:

    if user is not None:
        return queries.get_customer(session, customer_id, user=user)
    customer = session.get(Customer, customer_id)
    if customer is None or customer.deleted_at is not None:
        raise queries.CustomerNotFound(_("There is no such customer, or you may not see it."))
    return customer



def _united(lists: Iterable[list[str]]) -> list[str]:
    return list(dict.fromkeys(value for values in lists for value in values))


def merge_customers(session: Session, target_id: int, merged_ids: Iterable[int],
                    choices: Mapping[str, int] | None = None, *, user: Any = None
                    ) -> Customer:
    """Merge the customers ``merged_ids`` into ``target_id``; returns the target (flushed;
    the caller commits).

    ``choices`` maps a field of ``MERGE_FIELDS`` to the id of the customer (target or merged)
    whose value the target keeps; fields left out keep ``default_choices``. A chosen code or
    USCC is taken off the merged customer first (it gets a new code). Phones and emails are
    united, contacts and contact records move to the target, tags too (no duplicate links),
    the amounts are summed and the latest contact time kept. The merged customers go to the
    trash with "Merged into C000123." added to their notes. ``customer_merged`` is called
    (before the merged customers go to the trash, so listeners still find them), the search
    index rebuilt, and a ``merge`` entry added to the operation log.

    With ``user`` (object or id) every customer must be in their data scope; any that is not,
    is in the trash or does not exist raises ``CustomerNotFound`` and nothing changes.
    """
    merged_ids = list(dict.fromkeys(int(customer_id) for customer_id in merged_ids))
    target_id = int(target_id)
    if target_id in merged_ids:
        merged_ids.remove(target_id)
    if not merged_ids:
        raise DomainError(_("Choose at least two customers to merge."))
    if len(merged_ids) + 1 > MAX_MERGE:
        raise DomainError(_("Merge at most %(max)d customers at a time.", max=MAX_MERGE))
    with session.begin_nested():
        return _merge(session, target_id, merged_ids, dict(choices or {}), user)


def _merge(session: Session, target_id: int, merged_ids: list[int],
           choices: dict[str, int], user: Any) -> Customer:

    target = _load(session, target_id, user)
    merged = [_load(session, customer_id, user) for customer_id in merged_ids]
    everyone = {customer.id: customer for customer in (target, *merged)}
    merged_codes = ", ".join(customer.code or str(customer.id) for customer in merged)
    unknown = sorted(set(choices) - set(MERGE_FIELDS))
    if unknown:
        raise DomainError(_("Unknown customer fields: %(names)s.", names=", ".join(unknown)))
    if any(int(source) not in everyone for source in choices.values()):
        raise DomainError(_("A chosen value belongs to a customer that is not being merged."))
    chosen = {**default_choices(list(everyone.values()), target_id),
              **{name: int(source) for name, source in choices.items()}}
    changes: dict[str, Any] = {name: getattr(everyone[source], name)
                               for name, source in chosen.items() if source != target_id}

    # A code or USCC is unique: take it off the merged customer before the target gets it.
    recode = []
    if chosen["code"] != target_id and everyone[chosen["code"]].code:
        recode.append(everyone[chosen["code"]])
        everyone[chosen["code"]].code = None
    if chosen["uscc"] != target_id:
        everyone[chosen["uscc"]].uscc = None
    session.flush()

    phones = _united(customer.phones for customer in (target, *merged))
    if phones != target.phones:
        # Stored numbers with an extension (";ext=") do not read back in; spell it out.
        changes["phones"] = [number.replace(";ext=", " ext ") for number in phones]
    emails = _united(customer.emails for customer in (target, *merged))
    if emails != target.emails:
        changes["emails"] = emails
    services.update_customer(session, target_id, changes)
    for customer in recode:
        assign_code(session, customer)

    _move_children(session, target, merged_ids)
    target.total_amount = sum(customer.total_amount or 0 for customer in (target, *merged))
    session.flush()
    refresh_contact_summary(session, target)  # last contact and open follow-up
    note = _("Merged into %(code)s.", code=target.code)
    for customer in merged:
        customer.total_amount = 0  # counted once, on the target
        customer.follow_up_on = customer.follow_up_by = None  # their records moved
        customer.notes = f"{customer.notes.rstrip()}\n{note}".strip()
    session.flush()

    emit("customer_merged", session, target_id=target_id, merged_ids=list(merged_ids))
    for customer_id in merged_ids:
        services.delete_customer(session, customer_id)
    _reindex(session, [target_id, *merged_ids])
    record_event("merge", _l("Merged %(codes)s into %(code)s.", code=target.code,
                             codes=merged_codes),
                 model=Customer, record_id=target_id, session=session,
                 changes={"target_id": target_id, "merged_ids": merged_ids,
                          "choices": {name: source for name, source in chosen.items()
                                      if source != target_id}})
    return target


def _move_children(session: Session, target: Customer, merged_ids: list[int]) -> None:
    """Contacts, contact records and tags of the merged customers to the target."""
    # One primary contact afterwards: the kept customer's, else the first merged one's.
    primary = session.scalar(
        select(Contact.id).where(Contact.customer_id.in_([target.id, *merged_ids]),
                                 Contact.is_primary.is_(True))
        .order_by(Contact.customer_id != target.id, Contact.id).limit(1))
    session.execute(update(Contact).where(Contact.customer_id.in_(merged_ids),
                                          Contact.is_primary.is_(True), Contact.id != primary)
                    .values(is_primary=False))
    session.execute(update(Contact).where(Contact.customer_id.in_(merged_ids))
                    .values(customer_id=target.id))
    session.execute(update(ContactRecord).where(ContactRecord.customer_id.in_(merged_ids))
                    .values(customer_id=target.id))
    has = set(session.scalars(select(CustomerTag.tag_id)
                              .where(CustomerTag.customer_id == target.id)))
    moving = set(session.scalars(select(CustomerTag.tag_id)
                                 .where(CustomerTag.customer_id.in_(merged_ids))))
    session.execute(delete(CustomerTag).where(CustomerTag.customer_id.in_(merged_ids)))
    for tag_id in sorted(moving - has):
        session.add(CustomerTag(customer_id=target.id, tag_id=tag_id))
    session.flush()


def _reindex(session: Session, customer_ids: list[int]) -> None:
    """Rebuild the search documents, when the search part offers it."""
    from ..search import services as search

    index = getattr(search, "index_customers", None)
    if index is not None:
        index(session, customer_ids)
