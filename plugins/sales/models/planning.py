"""Sales targets and the aggregates the forecast and the widgets read.

Aggregates are kept by the sales events inside the unit of work that changes the records
(``sales.aggregates``): a widget reads a few hundred rows, never the millions of
opportunities and order lines they sum up.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.toolkit import DataScope, Model, TimestampMixin

PERIOD_KINDS = ("month", "quarter")
PERIOD_KIND_LABELS = {"month": _l("Month"), "quarter": _l("Quarter")}


class Target(TimestampMixin, Model):
    """A sales target of one user or one department for a month or a quarter (fen)."""

    __tablename__ = "sales_target"
    __data_scope__ = DataScope(kind="sales.target", owner="user_id")
    __table_args__ = (UniqueConstraint("user_id", "department_id", "period_kind",
                                       "period_start", name="uq_sales_target_period"),)
    __audit_label__ = _l("Sales target")
    __audit_labels__ = {"user_id": _l("User"), "department_id": _l("Department"),
                        "period_kind": _l("Period"), "period_start": _l("Starts"),
                        "amount": _l("Target")}
    __audit_choices__ = {"period_kind": PERIOD_KIND_LABELS}

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"),
                                                index=True)
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_department.id", ondelete="CASCADE"), index=True)
    period_kind: Mapped[str] = mapped_column(String(8), default="month",
                                             server_default="month")
    period_start: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)


class StageTotal(Model):
    """Live (not deleted) opportunities per stage, owner and department, won and lost
    stages included: count and amount (fen), every kanban header reads it."""

    __tablename__ = "sales_stage_total"
    __audit__ = False  # derived numbers (rebuilt from the records), not business data
    __table_args__ = (UniqueConstraint("stage_id", "owner_id", "department_id",
                                       name="uq_sales_stage_total"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("sales_stage.id", ondelete="CASCADE"))
    owner_id: Mapped[int | None] = mapped_column(Integer, index=True)
    department_id: Mapped[int | None] = mapped_column(Integer, index=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class MonthlyTotal(Model):
    """Per month, owner and department: won opportunities, confirmed orders, payments."""

    __tablename__ = "sales_monthly_total"
    __audit__ = False  # derived numbers (rebuilt from the records), not business data
    __table_args__ = (UniqueConstraint("month", "owner_id", "department_id",
                                       name="uq_sales_monthly_total"),
                      Index("ix_sales_monthly_total_owner", "owner_id", "month"))

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[dt.date] = mapped_column(Date)
    owner_id: Mapped[int | None] = mapped_column(Integer)
    department_id: Mapped[int | None] = mapped_column(Integer, index=True)
    won_count: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    won_amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    lost_count: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    order_count: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    order_amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    payment_amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class ProductMonthlyTotal(Model):
    """Per month, product, owner and department: quantity (thousandths) and untaxed amount
    of confirmed orders (the owner so that a rep's top products read it too)."""

    __tablename__ = "sales_product_monthly_total"
    __audit__ = False  # derived numbers (rebuilt from the records), not business data
    __table_args__ = (UniqueConstraint("month", "product_id", "owner_id", "department_id",
                                       name="uq_sales_product_monthly_total"),
                      Index("ix_sales_product_monthly_total_owner", "owner_id", "month"))

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[dt.date] = mapped_column(Date, index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("sales_product.id",
                                                       ondelete="CASCADE"))
    owner_id: Mapped[int | None] = mapped_column(Integer)
    department_id: Mapped[int | None] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class ForecastTotal(Model):
    """Open opportunities per expected close month, owner, department and forecast
    category: count, amount (fen) and Σ amount × probability (fen × percent)."""

    __tablename__ = "sales_forecast_total"
    __audit__ = False  # derived numbers (rebuilt from the records), not business data
    __table_args__ = (UniqueConstraint("month", "owner_id", "department_id", "category",
                                       name="uq_sales_forecast_total"),
                      Index("ix_sales_forecast_total_owner", "owner_id", "month"),
                      Index("ix_sales_forecast_total_department", "department_id", "month"))

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[dt.date] = mapped_column(Date, index=True)
    owner_id: Mapped[int | None] = mapped_column(Integer)
    department_id: Mapped[int | None] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(12))
    count: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    weighted: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class ReceivableTotal(Model):
    """What is still owed on the unpaid (open or partly paid) instalments of the contracts
    that collect money (active, expired or terminated, not deleted), per due date and the
    contract's owner and department: amount (fen) and count. The ageing widget groups these
    rows by how long ago the date was, instead of every unpaid instalment."""

    __tablename__ = "sales_receivable_total"
    __audit__ = False  # derived numbers (rebuilt from the records), not business data
    __table_args__ = (UniqueConstraint("due_date", "owner_id", "department_id",
                                       name="uq_sales_receivable_total"),
                      Index("ix_sales_receivable_total_owner", "owner_id", "due_date"),
                      Index("ix_sales_receivable_total_department", "department_id",
                            "due_date"))

    id: Mapped[int] = mapped_column(primary_key=True)
    due_date: Mapped[dt.date] = mapped_column(Date)
    owner_id: Mapped[int | None] = mapped_column(Integer)
    department_id: Mapped[int | None] = mapped_column(Integer)
    count: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
