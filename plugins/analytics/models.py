"""The rollups: facts summed per source, day (and month), dimension value and
owner/department.

One generic table. A row holds, for one source and one measure, the rows of one day (in the
company's time zone) that share one value of one dimension (``dimension`` ``""``: all of them)
and one owner and department: their ``total`` (the sum of the measure's expression, in its
stored unit) and ``n`` (how many rows, or how many non-empty values for an average). The
owner and department keep the data scope: a reader gets only the rows of their scope.

``analytics_rollup_month`` holds the same per month (no day or week), and besides one
dimension also the pairs of dimensions a source declares (``dimension`` ``"a|b"``, the
values in ``value`` and ``value2``): a year's chart sums twelve months' rows instead of
365 days', and a two-dimension query of a declared pair is read from it.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.toolkit import Model


class Rollup(Model):
    """Per source, measure, day, dimension value, owner and department: total and count."""

    __tablename__ = "analytics_rollup"
    __audit__ = False  # derived numbers, rebuilt at will: not an operation
    __table_args__ = (
        Index("ix_analytics_rollup_source_dimension_day", "source", "measure", "dimension",
              "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(60))
    measure: Mapped[str] = mapped_column(String(60))
    dimension: Mapped[str] = mapped_column(String(60), default="", server_default="")
    value: Mapped[str | None] = mapped_column(String(200))
    day: Mapped[str] = mapped_column(String(10))
    week: Mapped[str] = mapped_column(String(8))
    month: Mapped[str] = mapped_column(String(7))
    owner_id: Mapped[int | None] = mapped_column(Integer)
    department_id: Mapped[int | None] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    n: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class RollupMonth(Model):
    """Per source, measure, month, dimension value (or pair of values), owner and
    department: total and count."""

    __tablename__ = "analytics_rollup_month"
    __audit__ = False  # derived numbers, rebuilt at will: not an operation
    __table_args__ = (
        Index("ix_analytics_rollup_month_source_dimension_month", "source", "measure",
              "dimension", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(60))
    measure: Mapped[str] = mapped_column(String(60))
    dimension: Mapped[str] = mapped_column(String(121), default="", server_default="")
    value: Mapped[str | None] = mapped_column(String(200))
    value2: Mapped[str | None] = mapped_column(String(200))
    month: Mapped[str] = mapped_column(String(7))
    owner_id: Mapped[int | None] = mapped_column(Integer)
    department_id: Mapped[int | None] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    n: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


MODELS = (Rollup, RollupMonth)
