"""The last number handed out in each series and period."""

from __future__ import annotations

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Model


class NumberSeries(Model):
    """One counter per series ``key`` and ``period``.

    ``period`` is the number pattern rendered for a date, with its sequence left as
    ``{seq}`` (``SO202612-{seq}``): a new month makes a new period, so the sequence starts
    again at 1. The row is not logged: the document that takes the number is.
    """

    __tablename__ = "core_number_series"
    __audit__ = False

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    period: Mapped[str] = mapped_column(String(120), primary_key=True)
    last_value: Mapped[int] = mapped_column(BigInteger)
