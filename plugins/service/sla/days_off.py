"""The company's days off and extra working days, declared as a ``toolkit.Resource``:
``/service/days_off`` and ``/api/v1/service/days_off``, for holders of
``service.sla.manage``. A part of the service plugin: ``resources()``.

A date is either a day off (公司年会: nobody works, the SLA clocks stand still) or an extra
working day (a Saturday the company works although China's calendar has none); one row per
date. Due times are counted on the calendar these make (``sla.company``) from the moment a
day is saved; the open tickets keep their remaining working time, so their due times move
across the changed date (``sla.recount``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import DomainError, Field, Filter, Resource

from ..models import CompanyDay
from ..models.calendar import DAY_KIND_LABELS, DAY_KINDS
from ..permissions import SLA_MANAGE
from .calendar import WorkingCalendar
from .company import company_calendar, forget
from .recount import recount_open_tickets

MANAGED = {action: SLA_MANAGE for action in ("view", "create", "edit", "delete", "export")}
#: The years a company day may fall in (the calendar's data starts in 2004; beyond the next
#: decades a date is a typing mistake).
FIRST_YEAR, LAST_YEAR = 2000, 2100


class DayError(DomainError):
    """A refused company day; ``field`` names the field (422 in the API)."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field


def _clean(session: Session, values: dict[str, Any], record: CompanyDay | None
           ) -> dict[str, Any]:
    values = {**values}
    if "name" in values:
        values["name"] = (values["name"] or "").strip()
        if not values["name"]:
            raise DayError("name", _("Enter a name, for example 公司年会."))
    if "kind" in values and values["kind"] not in DAY_KINDS:
        raise DayError("kind", _("Not a valid choice."))
    day = values.get("day", getattr(record, "day", None))
    if not isinstance(day, dt.date) or not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise DayError("day", _("Enter a date from %(first)d to %(last)d.",
                                first=FIRST_YEAR, last=LAST_YEAR))
    taken = select(CompanyDay.name).where(CompanyDay.day == day)
    if record is not None:
        taken = taken.where(CompanyDay.id != record.id)
    other = session.scalar(taken.limit(1))
    if other is not None:
        raise DayError("day", _("This date is already listed (%(name)s).", name=other))
    return values


def _recount(session: Session, old: WorkingCalendar, days: list[dt.date]) -> None:
    """After a change: the calendar is read afresh and open tickets keep their remaining
    working time (``sla.recount``)."""
    forget()
    recount_open_tickets(session, old, company_calendar(session), days)


def create_day(session: Session, values: dict[str, Any], user: Any) -> CompanyDay:
    """A new company day (the Resource's create); open tickets are re-counted."""
    old = company_calendar(session)
    record = CompanyDay(**_clean(session, values, None))
    session.add(record)
    session.flush()
    _recount(session, old, [record.day])
    return record


def update_day(session: Session, record: CompanyDay, values: dict[str, Any],
               user: Any) -> CompanyDay:
    """Change a company day (the Resource's update); open tickets are re-counted."""
    old, before = company_calendar(session), record.day
    for name, value in _clean(session, values, record).items():
        setattr(record, name, value)
    session.flush()
    _recount(session, old, [before, record.day])
    return record


def delete_day(session: Session, record: CompanyDay, user: Any) -> None:
    """Remove a company day (the Resource's delete): China's calendar decides that date
    again, and open tickets are re-counted."""
    old, day = company_calendar(session), record.day
    session.delete(record)
    session.flush()
    _recount(session, old, [day])


_RESOURCE: list[Resource] = []


def days_off_resource() -> Resource:
    """The company days Resource (built once)."""
    if not _RESOURCE:
        _RESOURCE.append(Resource(
            model=CompanyDay, name="days_off", label=_l("Company days off"),
            label_one=_l("Company day"),
            fields=[Field("day", _l("Date")),
                    Field("name", _l("Name")),
                    Field("kind", _l("Kind"), choices=list(DAY_KIND_LABELS.items()))],
            title_field="name",
            columns=["day", "name", "kind"],
            filters=[Filter("kind", "choice")],
            sorts=["day"], default_sort="-day", search=["name"],
            api_overrides={"kind": fields.String(validate=validate.OneOf(DAY_KINDS))},
            create=create_day, update=update_day, delete=delete_day, soft_delete=None,
            permissions=MANAGED, actions=tuple(MANAGED), icon="calendar-x", order=405,
            parent="service.teams",
            templates={"list": "service/sla/days_off_list.html"}))
    return _RESOURCE[0]


def resources() -> list[Resource]:
    """The company days Resource."""
    return [days_off_resource()]
