"""One sales record of every kind for a department of the security walk (no tests here).

Ids are keyed by the URL variable that names them (``<object>_id``, as Resources name their
routes). Records a department owns carry the West marker in their text; the catalogue
(products, price lists, pipelines, stages) is shared by every department and carries none.
"""

from __future__ import annotations

import datetime as dt
from typing import Any


def sales_records(session: Any, owner: Any, department_id: int, label: str, secret: str,
                  customer_id: int) -> dict[str, Any]:
    """Opportunity (with its stage history), quote and order (with a line each), contract
    with an instalment, a payment, an invoice request and a target, owned by ``owner``."""
    from sqlalchemy import select

    from plugins.sales.models import (
        Contract,
        Instalment,
        InvoiceRequest,
        Opportunity,
        Order,
        OrderLine,
        Payment,
        Pipeline,
        PriceList,
        Product,
        Quote,
        QuoteLine,
        Stage,
        StageHistory,
        Target,
    )

    now = dt.datetime.now(dt.UTC)
    today = now.date()
    pipeline = session.scalar(select(Pipeline).order_by(Pipeline.id).limit(1))
    stage = session.scalar(select(Stage).where(Stage.pipeline_id == pipeline.id)
                           .order_by(Stage.position).limit(1))
    product = Product(sku=f"{label}-SKU", name=f"{label} widget", unit="pcs",
                      list_price=1999, tax_rate=1300)
    price_list = PriceList(name=f"{label} prices")
    session.add_all([product, price_list])
    session.flush()
    owned = {"owner_id": owner.id, "department_id": department_id}
    opportunity = Opportunity(name=f"{label} deal {secret}".strip(), customer_id=customer_id,
                              pipeline_id=pipeline.id, stage_id=stage.id, amount=500_000,
                              probability=stage.probability, stage_entered_at=now, **owned)
    session.add(opportunity)
    session.flush()
    session.add(StageHistory(opportunity_id=opportunity.id, stage_id=stage.id,
                             user_id=owner.id, entered_at=now))
    line = {"product_id": product.id, "description": f"{label} widget", "quantity": 3000,
            "unit_price": 1999, "discount": 750, "tax_rate": 1300, "subtotal": 5547,
            "tax": 721, "total": 6268}
    amounts = {"untaxed_amount": 5547, "tax_amount": 721, "total_amount": 6268}
    quote = Quote(number=f"QT-{label}-1", customer_id=customer_id,
                  opportunity_id=opportunity.id, notes=f"{label} quote {secret}".strip(),
                  valid_until=today + dt.timedelta(days=30), **owned, **amounts)
    order = Order(number=f"SO-{label}-1", customer_id=customer_id, order_date=today,
                  notes=f"{label} order {secret}".strip(), **owned, **amounts)
    session.add_all([quote, order])
    session.flush()
    quote_line = QuoteLine(quote_id=quote.id, **line)
    order_line = OrderLine(order_id=order.id, **line)
    contract = Contract(number=f"HT-{label}-1", title=f"{label} contract {secret}".strip(),
                        order_id=order.id, customer_id=customer_id, amount=6268,
                        start_date=today, end_date=today + dt.timedelta(days=365), **owned)
    session.add_all([quote_line, order_line, contract])
    session.flush()
    instalment = Instalment(contract_id=contract.id, sequence=1, due_date=today,
                            amount=6268, note=f"{label} instalment {secret}".strip())
    session.add(instalment)
    session.flush()
    payment = Payment(contract_id=contract.id, instalment_id=instalment.id,
                      customer_id=customer_id, amount=1000, received_on=today,
                      reference=f"{label} payment {secret}".strip(), **owned)
    invoice = InvoiceRequest(contract_id=contract.id, customer_id=customer_id, amount=6268,
                             buyer_name=f"{label} buyer {secret}".strip(), **owned)
    target = Target(user_id=owner.id, department_id=department_id, period_kind="month",
                    period_start=today.replace(day=1), amount=1_000_000)
    session.add_all([payment, invoice, target])
    session.flush()
    return {"opportunity_id": opportunity.id, "product_id": product.id,
            "price_list_id": price_list.id, "pipeline_id": pipeline.id, "stage_id": stage.id,
            "quote_id": quote.id, "quote_line_id": quote_line.id, "order_id": order.id,
            "order_line_id": order_line.id, "contract_id": contract.id,
            "instalment_id": instalment.id, "payment_id": payment.id,
            "invoice_request_id": invoice.id, "target_id": target.id}
