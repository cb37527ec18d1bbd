"""The customer value table: per customer, the RFM scores and segment and the churn risk
of the last computation (``compute.py``). Derived numbers, recomputed at will."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.toolkit import Model


class CustomerValue(Model):
    """One customer's RFM scores (1–5), segment, churn risk and the figures behind them."""

    __tablename__ = "analytics_customer_value"
    __audit__ = False  # derived numbers, recomputed nightly: not an operation
    __table_args__ = (
        Index("ix_analytics_customer_value_segment", "segment", "amount", "customer_id"),
        Index("ix_analytics_customer_value_churn", "churn", "risk", "customer_id"),
    )

    # no foreign key: the customers plugin may be absent; a purged customer's row goes
    # at the next computation
    customer_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    r: Mapped[int] = mapped_column(Integer)
    f: Mapped[int] = mapped_column(Integer)
    m: Mapped[int] = mapped_column(Integer)
    segment: Mapped[str] = mapped_column(String(30))
    purchases: Mapped[int] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(BigInteger)  # fen
    days_since: Mapped[int] = mapped_column(Integer)
    rhythm_days: Mapped[int] = mapped_column(Integer)
    #: days since the last purchase ÷ the rhythm, in hundredths (250: 2.5 times the rhythm)
    risk: Mapped[int] = mapped_column(Integer)
    churn: Mapped[str] = mapped_column(String(10))
    own_rhythm: Mapped[bool] = mapped_column(default=True)
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class CustomerValueCount(Model):
    """How many customers of one owner and department a segment (``kind`` ``segment``) or a
    churn level (``churn``) held at the last computation: the overview page adds up the
    reader's rows instead of counting a million values per view."""

    __tablename__ = "analytics_customer_value_count"
    __audit__ = False  # derived, rewritten with the values
    __table_args__ = (Index("ix_analytics_customer_value_count_kind", "kind", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    code: Mapped[str] = mapped_column(String(30))
    owner_id: Mapped[int | None] = mapped_column(Integer)
    department_id: Mapped[int | None] = mapped_column(Integer)
    customers: Mapped[int] = mapped_column(Integer)


MODELS = (CustomerValue, CustomerValueCount)
