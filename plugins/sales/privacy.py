"""Personal data requests (PIPL) for sales: the deals, quotes, orders, contracts, payments and
invoice requests of a person customer.

Sales stores no e-mail or phone of its own; it follows the person customers the customers
plugin located (``customers.person``). Erasure keeps every amount, number, date and status
(the books must keep them: 会计档案 are kept for years) and blanks what names the person:
the invoice request's buyer name and tax number (a person's may be an ID-card number), the
contract party that is the person, and their names, e-mail and phone in titles and notes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from crm_core.toolkit import privacy

from .models import Contract, InvoiceRequest, Opportunity, Order, Payment, Quote

PERSON = "customers.person"
#: what each section exports, by table
_EXPORTED = {
    "opportunities": (Opportunity, ("id", "name", "amount", "status", "created_at",
                                    "closed_at")),
    "quotes": (Quote, ("id", "number", "total_amount", "status", "notes", "created_at")),
    "orders": (Order, ("id", "number", "total_amount", "status", "notes", "created_at")),
    "contracts": (Contract, ("id", "number", "title", "amount", "party_a", "party_b",
                             "signed_on", "start_date", "end_date", "status")),
    "payments": (Payment, ("id", "amount", "method", "created_at")),
    "invoice_requests": (InvoiceRequest, ("id", "amount", "buyer_name", "buyer_tax_number",
                                          "status", "created_at")),
}
#: the text columns erasure scrubs, by table: (model, columns)
_TEXTS = ((Opportunity, ("name",)), (Quote, ("notes",)), (Order, ("notes",)),
          (Contract, ("title", "party_a", "party_b")), (InvoiceRequest, ("note",)))


def export(person: Any, session: Session) -> dict[str, list[dict[str, Any]]]:
    """Every sales record of the person's customer records (amounts in fen)."""
    customers = person.ids(PERSON)
    found: dict[str, list[dict[str, Any]]] = {}
    for section, (model, names) in _EXPORTED.items():
        table = model.__table__
        columns = [table.c[name] for name in names if name in table.c]
        found[section] = privacy.rows(session, columns, table.c.customer_id.in_(customers)
                                      if customers else None)
    return found


def _scrub_texts(session: Session, person: Any, customers: set[int]) -> int:
    changed = 0
    for model, names in _TEXTS:
        table = model.__table__
        columns = [table.c[name] for name in names]
        for row in session.execute(select(table.c.id, *columns)
                                   .where(table.c.customer_id.in_(customers))).mappings():
            values = {name: person.scrub_names(person.scrub(row[name])) for name in names}
            values = {name: value for name, value in values.items() if value != row[name]}
            if values:
                changed += privacy.write(session, update(table).where(
                    table.c.id == row["id"]).values(values))
    return changed


def erase(person: Any, erasure: Any, session: Session) -> dict[str, int]:
    """Blank the buyer on invoice requests and the person's names in titles and notes;
    every amount and number stays."""
    customers = person.ids(PERSON)
    counts: dict[str, int] = {}
    if customers:
        invoices = InvoiceRequest.__table__
        counts["invoice_requests"] = privacy.write(session, update(invoices).where(
            invoices.c.customer_id.in_(customers)).values(buyer_name=privacy.ERASED,
                                                          buyer_tax_number=""))
        counts["texts"] = _scrub_texts(session, person, customers)
    counts["notes"] = (privacy.scrub_column(session, Quote.__table__.c.notes, person)
                       + privacy.scrub_column(session, Order.__table__.c.notes, person))
    return counts
