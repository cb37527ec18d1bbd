"""What sales demo data builds on: the default pipeline's stages, the product catalogue
(added when there is none), the sales users and the existing customers; and the targets of
the current quarter.
"""

from __future__ import annotations

import datetime as dt
import random
from array import array

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from crm_core.toolkit import utcnow

from ..models import Pipeline, Product, Stage, Target
from .generator import Context, ProductInfo, StageInfo
from .pools import PRODUCTS, language

SELLING_ROLES = ("sales", "manager")


def ensure_products(session: Session, which: int) -> list[ProductInfo]:
    """The active products; the demo catalogue (software and hardware at 13 % VAT, services
    at 6 %) is added first when there is none."""
    found = session.scalars(select(Product).where(Product.active.is_(True),
                                                  Product.deleted_at.is_(None))
                            .order_by(Product.id)).all()
    if not found:
        existing = set(session.scalars(select(Product.sku)))
        for sku, chinese, english, category, unit, price, rate in PRODUCTS:
            if sku in existing:
                continue
            session.add(Product(sku=sku, name=(chinese, english)[which],
                                category=category[which], unit=unit[which],
                                list_price=price * 100, tax_rate=rate,
                                price_includes_tax=False, active=True))
        session.flush()
        found = session.scalars(select(Product).where(Product.active.is_(True),
                                                      Product.deleted_at.is_(None))
                                .order_by(Product.id)).all()
    return [ProductInfo(product.id, product.name, product.list_price, product.tax_rate,
                        bool(product.price_includes_tax)) for product in found]


def sellers(session: Session) -> list[tuple[int | None, int | None]]:
    """(user id, department id) of the active users holding a selling role; all active users
    when none does; ``[(None, None)]`` without users."""
    query = ("SELECT DISTINCT u.id, u.department_id FROM core_user u "
             "JOIN core_user_role ur ON ur.user_id = u.id JOIN core_role r ON r.id = ur.role_id "
             "WHERE u.is_active = :yes AND r.name IN ('sales', 'manager') ORDER BY u.id")
    found = [tuple(row) for row in session.execute(text(query), {"yes": True})]
    if not found:
        found = [tuple(row) for row in session.execute(text(
            "SELECT id, department_id FROM core_user WHERE is_active = :yes ORDER BY id"),
            {"yes": True})]
    return found or [(None, None)]  # type: ignore[list-item]


def load_context(session: Session) -> Context | None:
    """Everything the generator needs, or None without customers or a default pipeline."""
    pipeline = session.scalars(select(Pipeline).where(Pipeline.active.is_(True))
                               .order_by(Pipeline.is_default.desc(), Pipeline.position,
                                         Pipeline.id).limit(1)).first()
    if pipeline is None:
        return None
    stages = [StageInfo(stage.id, stage.probability, stage.kind) for stage in session.scalars(
        select(Stage).where(Stage.pipeline_id == pipeline.id).order_by(Stage.position,
                                                                      Stage.id))]
    if not any(stage.kind == "open" for stage in stages):
        return None
    ids, owners, departments = array("q"), array("q"), array("q")
    result = session.execute(text(
        "SELECT id, owner_id, department_id FROM customers_customer WHERE deleted_at IS NULL "
        "ORDER BY id"))
    for customer_id, owner_id, department_id in result:
        ids.append(customer_id)
        owners.append(owner_id or 0)
        departments.append(department_id or 0)
    if not ids:
        return None
    which = language()
    return Context(pipeline_id=pipeline.id, stages=stages,
                   products=ensure_products(session, which), owners=sellers(session),
                   customers=ids, customer_owners=owners, customer_departments=departments,
                   now=utcnow(), language=which)


def quarter_start(day: dt.date) -> dt.date:
    """The first day of ``day``'s quarter."""
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def targets(session: Session, context: Context) -> int:
    """Quarter targets for each seller and each of their departments, where none is set;
    returns how many were added."""
    start = quarter_start(context.now.date())
    random_ = random.Random(f"sales-demo-targets:{start}")
    have = {(user_id, department_id) for user_id, department_id in session.execute(
        select(Target.user_id, Target.department_id).where(
            Target.period_kind == "quarter", Target.period_start == start))}
    added = 0
    departments: dict[int, int] = {}
    for user_id, department_id in context.owners:
        if user_id is None:
            continue
        amount = random_.randint(30, 300) * 10_000 * 100  # ¥300,000 to ¥3,000,000
        if department_id:
            departments[department_id] = departments.get(department_id, 0) + amount
        if (user_id, None) not in have:
            session.add(Target(user_id=user_id, department_id=None, period_kind="quarter",
                               period_start=start, amount=amount))
            added += 1
    for department_id, amount in departments.items():
        if (None, department_id) not in have:
            session.add(Target(user_id=None, department_id=department_id,
                               period_kind="quarter", period_start=start, amount=amount))
            added += 1
    session.flush()
    return added
