"""The company's own calendar days: days off (公司年会, a company outing) and extra working
days, set by administrators on top of China's official calendar. The SLA clocks count
working time on the calendar they make (``sla.company``)."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, String
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.toolkit import Model, TimestampMixin

DAY_KIND_LABELS = {"off": _l("Day off"), "working": _l("Working day")}
DAY_KINDS = tuple(DAY_KIND_LABELS)


class CompanyDay(TimestampMixin, Model):
    """One date the company treats differently from China's official calendar: ``off``
    (nobody works, the SLA clocks stand still) or ``working`` (a working day although the
    official calendar has none). One row per date."""

    __tablename__ = "service_day_off"
    __audit_label__ = _l("Company day")
    __audit_labels__ = {"day": _l("Date"), "name": _l("Name"), "kind": _l("Kind")}
    __audit_choices__ = {"kind": DAY_KIND_LABELS}

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10), default="off", server_default="off")
