"""Personal data requests (PIPL) for customers: person customers, contacts, the e-mails and
phones of company customers, and contact records about them.

What is located (``crm_privacy_locate``), for the other plugins to follow:
``customers.person`` (customers of kind person with the e-mail or phone), ``customers.company``
(company customers listing it) and ``customers.contact`` (contacts with it).

Erasure keeps the rows (orders, tickets and campaign results point at them) and blanks what
names the person: a person customer's name, address, website, notes, e-mails and phones and
the content of their contact records; a contact's name, title, phones and e-mail; the
company's matching e-mail or phone row; the e-mail or phone wherever a note mentions it. The
search index follows.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, cast, delete, func, select, update
from sqlalchemy.orm import Session

from crm_core.toolkit import privacy

from .models import Contact, ContactRecord, Customer, CustomerEmail, CustomerPhone, CustomerTag, Tag

PERSON, COMPANY, CONTACT = "customers.person", "customers.company", "customers.contact"
#: a person customer's identity and bank details (encrypted at rest, with blind indexes)
#: and custom field values: exported as the customer's, cleared on erasure
_SENSITIVE = ("id_card_number", "id_card_number_bidx", "bank_name", "bank_account",
              "bank_account_bidx", "custom")


def _customer_ids(session: Session, person: Any) -> set[int]:
    ids: set[int] = set()
    if person.emails:
        ids.update(session.scalars(select(CustomerEmail.customer_id)
                                   .where(CustomerEmail.email.in_(person.emails))))
    for number in person.numbers:  # stored E.164, perhaps with ";ext=..."
        rows = session.execute(select(CustomerPhone.customer_id, CustomerPhone.number)
                               .where(CustomerPhone.number.like(number + "%")))
        ids.update(customer_id for customer_id, number in rows
                   if person.matches_phone(number))
    return ids


def _contact_ids(session: Session, person: Any) -> set[int]:
    table = Contact.__table__
    condition = privacy.mentions(cast(table.c.phones, String), person)
    if person.emails:
        email = func.lower(table.c.email).in_(person.emails)
        condition = email if condition is None else condition | email
    found = privacy.rows(session, [table.c.id, table.c.email, table.c.phones], condition)
    return {row["id"] for row in found
            if person.matches_email(row["email"])
            or any(person.matches_phone(number) for number in row["phones"] or [])}


def _learn_from_people(session: Session, person: Any) -> None:
    """A person customer's record is the person: its other e-mails and phones are theirs
    too (a contact's or a company's may be shared, a switchboard: not taken)."""
    people = person.ids(PERSON)
    if people:
        for email in session.scalars(select(CustomerEmail.email)
                                     .where(CustomerEmail.customer_id.in_(people))):
            person.add_email(email)
        for number in session.scalars(select(CustomerPhone.number)
                                      .where(CustomerPhone.customer_id.in_(people))):
            person.add_phone(number)


def locate(person: Any, session: Session) -> None:
    """Add the person customers, companies and contacts holding the e-mail or phone (or
    another e-mail or phone of a person customer found so: twice at most)."""
    for _round in range(2):
        known = (len(person.emails), len(person.numbers))
        ids = _customer_ids(session, person)
        kinds = {row.id: row.kind for row in session.execute(
            select(Customer.id, Customer.kind).where(Customer.id.in_(ids)))}
        person.add(PERSON, [cid for cid, kind in kinds.items() if kind == "person"])
        person.add(COMPANY, [cid for cid, kind in kinds.items() if kind != "person"])
        _learn_from_people(session, person)
        if (len(person.emails), len(person.numbers)) == known:
            break
    contacts = _contact_ids(session, person)
    person.add(CONTACT, contacts)
    for name in session.scalars(select(Customer.name).where(
            Customer.id.in_(person.ids(PERSON)))):
        person.add_name(name)
    for name in session.scalars(select(Contact.name).where(Contact.id.in_(contacts))):
        person.add_name(name)


def _record_condition(person: Any) -> Any:
    table = ContactRecord.__table__
    condition = privacy.mentions(table.c.content, person)
    for column, ids in ((table.c.customer_id, person.ids(PERSON)),
                        (table.c.contact_id, person.ids(CONTACT))):
        if ids:
            condition = column.in_(ids) if condition is None else condition | column.in_(ids)
    return condition


def export(person: Any, session: Session) -> dict[str, list[dict[str, Any]]]:
    """Person customers in full; what companies list of theirs; contacts; contact records."""
    customers = []
    for customer in session.scalars(select(Customer).where(
            Customer.id.in_(person.ids(PERSON))).order_by(Customer.id)):
        tags = list(session.scalars(select(Tag.name).join(CustomerTag, CustomerTag.tag_id == Tag.id)
                                    .where(CustomerTag.customer_id == customer.id)))
        customers.append({
            "id": customer.id, "code": customer.code, "name": customer.name,
            "emails": customer.emails, "phones": customer.phones,
            "province": customer.province, "city": customer.city, "address": customer.address,
            "website": customer.website, "industry": customer.industry,
            "source": customer.source, "level": customer.level, "status": customer.status,
            "notes": customer.notes, "tags": tags, "created_at": customer.created_at,
            "updated_at": customer.updated_at, "in_trash": customer.in_trash,
            **{name: getattr(customer, name) for name in _SENSITIVE
               if hasattr(customer, name) and not name.endswith("_bidx")}})
    companies = [
        {"id": customer.id, "name": customer.name,
         "emails": [e for e in customer.emails if person.matches_email(e)],
         "phones": [p for p in customer.phones if person.matches_phone(p)]}
        for customer in session.scalars(select(Customer).where(
            Customer.id.in_(person.ids(COMPANY))).order_by(Customer.id))]
    contacts = [
        {"id": contact.id, "customer_id": contact.customer_id, "name": contact.name,
         "title": contact.title, "phones": contact.phones, "email": contact.email,
         "created_at": contact.created_at}
        for contact in session.scalars(select(Contact).where(
            Contact.id.in_(person.ids(CONTACT))).order_by(Contact.id))]
    table = ContactRecord.__table__
    records = privacy.rows(session, [table.c.id, table.c.customer_id, table.c.contact_id,
                                     table.c.kind, table.c.content, table.c.occurred_at],
                           _record_condition(person))
    return {"customers": customers, "companies": companies, "contacts": contacts,
            "contact_records": sorted(records, key=lambda row: row["id"])}


def _blank_person_customers(session: Session, ids: set[int]) -> int:
    if not ids:
        return 0
    table = Customer.__table__
    cleared = {name: None for name in _SENSITIVE if name in table.c}
    changed = 0
    for customer_id in sorted(ids):
        changed += privacy.write(session, update(table).where(table.c.id == customer_id).values(
            name=f"{privacy.ERASED} #{customer_id}", address="", website="", notes="",
            uscc=None, name_key="", pinyin_key="", **cleared))
    privacy.write(session, delete(CustomerEmail.__table__)
                  .where(CustomerEmail.__table__.c.customer_id.in_(ids)))
    privacy.write(session, delete(CustomerPhone.__table__)
                  .where(CustomerPhone.__table__.c.customer_id.in_(ids)))
    return changed


def _drop_company_values(session: Session, person: Any, ids: set[int]) -> int:
    if not ids:
        return 0
    emails, phones = CustomerEmail.__table__, CustomerPhone.__table__
    changed = privacy.write(session, delete(emails).where(
        emails.c.customer_id.in_(ids), emails.c.email.in_(person.emails))) if person.emails else 0
    phone_rows = session.execute(select(phones.c.id, phones.c.number)
                                 .where(phones.c.customer_id.in_(ids))).all()
    doomed = [row.id for row in phone_rows if person.matches_phone(row.number)]
    if doomed:
        changed += privacy.write(session, delete(phones).where(phones.c.id.in_(doomed)))
    return changed


def _blank_contacts(session: Session, ids: set[int]) -> tuple[int, dict[int, str], set[int]]:
    """Blank the contacts; returns how many, their former names and their customers."""
    if not ids:
        return 0, {}, set()
    table = Contact.__table__
    rows = session.execute(select(table.c.id, table.c.name, table.c.customer_id)
                           .where(table.c.id.in_(ids))).all()
    changed = privacy.write(session, update(table).where(table.c.id.in_(ids)).values(
        name=privacy.ERASED, title="", phones=[], email=""))
    return changed, {row.id: row.name for row in rows}, {row.customer_id for row in rows}


def _scrub_records(session: Session, person: Any, names: dict[int, str]) -> int:
    """Contact records: a person customer's lose their content; a contact's lose the
    contact's name; any record loses the e-mail and phone."""
    table = ContactRecord.__table__
    changed: set[int] = set()
    people = person.ids(PERSON)
    if people:
        ids = set(session.scalars(select(table.c.id).where(table.c.customer_id.in_(people))))
        if ids:
            privacy.write(session, update(table).where(table.c.id.in_(ids))
                          .values(content=privacy.ERASED))
            changed |= ids
    for contact_id, name in names.items():
        if len(name or "") < 2:
            continue
        for row in session.execute(select(table.c.id, table.c.content).where(
                table.c.contact_id == contact_id, table.c.content.contains(name,
                                                                            autoescape=True))):
            privacy.write(session, update(table).where(table.c.id == row.id)
                          .values(content=row.content.replace(name, privacy.ERASED)))
            changed.add(row.id)
    before = set(session.scalars(select(table.c.id).where(
        privacy.mentions(table.c.content, person)))) if person.emails or person.phones else set()
    privacy.scrub_column(session, table.c.content, person)
    return len(changed | before)


def erase(person: Any, erasure: Any, session: Session) -> dict[str, int]:
    """Blank the person's customers, contacts, values and notes; keep the search index in
    step."""
    from .search.services import index_customers

    people, companies = person.ids(PERSON), person.ids(COMPANY)
    counts = {"customers": _blank_person_customers(session, people),
              "company_values": _drop_company_values(session, person, companies)}
    counts["contacts"], names, contact_customers = _blank_contacts(session,
                                                                   person.ids(CONTACT))
    counts["contact_records"] = _scrub_records(session, person, names)
    counts["customer_notes"] = privacy.scrub_column(session, Customer.__table__.c.notes, person)
    index_customers(session, people | companies | contact_customers)
    return counts
