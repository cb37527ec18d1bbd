"""Sales targets (``/sales/targets``, ``/api/v1/sales/targets``): a kernel Resource for
managers (``sales.target.manage``).

A target is one user's or one department's amount for a month or a quarter. A user's
target belongs to the user's department (set here on every write, never taken from the
form), so a manager sees and sets the targets of their department (data scope
``sales.target``, owner column ``user_id``). One target per user or department and period:
a second one is refused under the period's field.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import SelectChoice, SelectField, StringField

from crm_core.toolkit import (
    Computed,
    DomainError,
    Field,
    Filter,
    Model,
    Resource,
    db,
    scoped,
    user_scope,
)

from ..catalog.fields import Yuan, YuanFormField
from ..models import Target
from ..models.planning import PERIOD_KIND_LABELS
from ..money import yuan
from ..permissions import TARGET_MANAGE
from .services import department_names

QUARTER_MONTHS = (1, 4, 7, 10)
PERIODS = list(PERIOD_KIND_LABELS.items())


class TargetRefused(DomainError):
    """A target the rules refuse; ``field`` names the field the message belongs under."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _departments(session: Session, user: Any) -> list[tuple[int, str]]:
    """The departments ``user`` may set targets for: all, or their own and below."""
    table = Model.metadata.tables["core_department"]
    query = select(table.c.id, table.c.name).order_by(table.c.path)
    if user_scope(user, "sales.target") != "all":
        department = getattr(user, "department_id", None)
        if department is None:
            return []
        path = select(table.c.path).where(table.c.id == department).scalar_subquery()
        query = query.where(table.c.path.like(path.concat("%")))
    return [(row[0], row[1]) for row in session.execute(query)]


class MonthField(StringField):
    """A month typed as ``2026-12`` (the browser's month input), kept as its first day."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None
        text = str(valuelist[0] if valuelist else "").strip()[:10]
        if not text:
            return
        try:
            year, month = (int(part) for part in text[:7].split("-"))
            self.data = dt.date(year, month, 1)
        except ValueError:
            raise ValueError(_l("Enter a month such as 2026-12.")) from None

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return self.data.strftime("%Y-%m") if isinstance(self.data, dt.date) else ""


def _optional_int(value: Any) -> int | None:
    return int(value) if value not in (None, "", "None") else None


class TargetForm(FlaskForm):
    """A target: whose (a user, or a department), which period, how much (yuan)."""

    user_id = SelectField(_l("User"), coerce=_optional_int, validate_choice=False,
                          description=_l("Leave empty for a department's target."))
    department_id = SelectField(_l("Department"), coerce=_optional_int,
                                validate_choice=False,
                                description=_l("A user's target counts in the user's "
                                               "department."))
    period_kind = SelectField(_l("Period"), default="month",
                              choices=[SelectChoice(value, label) for value, label in PERIODS])
    period_start = MonthField(_l("Starts"), render_kw={"type": "month"},
                              description=_l("A quarter starts in January, April, July or "
                                             "October."))
    amount = YuanFormField(_l("Target"), render_kw={"inputmode": "decimal"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.department_id.choices = [
            SelectChoice("", "—"),
            *(SelectChoice(value, name) for value, name in _departments(db.session,
                                                                       current_user))]
        if not self.user_id.choices:
            self.user_id.choices = [SelectChoice("", "—")]


def _department_of(session: Session, user_id: int) -> int | None:
    users = Model.metadata.tables["core_user"]
    return session.scalar(select(users.c.department_id).where(users.c.id == user_id))


def _check(session: Session, target: Target, user: Any) -> None:
    if target.user_id is None and target.department_id is None:
        raise TargetRefused("user_id", _("Choose a user or a department."))
    if target.period_kind not in PERIOD_KIND_LABELS:
        raise TargetRefused("period_kind", _("Choose month or quarter."))
    if target.period_start is None:
        raise TargetRefused("period_start", _("Enter a month such as 2026-12."))
    if target.period_kind == "quarter" and target.period_start.month not in QUARTER_MONTHS:
        raise TargetRefused("period_start", _("A quarter starts in January, April, July or "
                                              "October."))
    if target.amount is None or target.amount < 0:
        raise TargetRefused("amount", _("Enter the target in yuan, such as 100000."))
    same = select(Target.id).where(Target.period_kind == target.period_kind,
                                   Target.period_start == target.period_start)
    same = same.where(Target.user_id == target.user_id) if target.user_id is not None else \
        same.where(Target.user_id.is_(None), Target.department_id == target.department_id)
    if target.id is not None:
        same = same.where(Target.id != target.id)
    if session.scalar(same.limit(1)) is not None:
        raise TargetRefused("period_start", _(
            "There is already a target for this %(whose)s and %(period)s.",
            whose=_("user") if target.user_id is not None else _("department"),
            period=target.period_start.strftime("%Y-%m")))


def _check_whose(session: Session, values: dict[str, Any], user: Any) -> None:
    """Refuse a user or department that does not exist or that ``user`` may not set
    targets for, before anything is flushed (a foreign key would answer a 500)."""
    user_id, department_id = values.get("user_id"), values.get("department_id")
    if user_id is None and department_id is not None \
            and department_id not in dict(_departments(session, user)):
        raise TargetRefused("department_id", _("Not a valid choice."))
    if user_id is not None and (not isinstance(user_id, int)
                                or _department_of(session, user_id) is None
                                and not _user_exists(session, user_id)):
        raise TargetRefused("user_id", _("Not a valid choice."))


def _user_exists(session: Session, user_id: int) -> bool:
    users = Model.metadata.tables["core_user"]
    return session.scalar(select(users.c.id).where(users.c.id == user_id)) is not None


def _save(session: Session, target: Target, values: dict[str, Any], user: Any) -> Target:
    with session.no_autoflush:
        _check_whose(session, values, user)
    for name in ("user_id", "department_id", "period_kind", "period_start", "amount"):
        if name in values:
            setattr(target, name, values[name])
    if isinstance(target.period_start, dt.date):
        target.period_start = target.period_start.replace(day=1)
    if target.user_id is not None:  # the department follows the user, whatever was sent
        with session.no_autoflush:
            target.department_id = _department_of(session, target.user_id)
    with session.no_autoflush:
        _check(session, target, user)
    if target.id is None:
        session.add(target)
    session.flush()
    if session.scalar(scoped(select(Target.id).where(Target.id == target.id), Target,
                             user)) is None:  # outside what the writer may see
        raise TargetRefused("user_id" if target.user_id else "department_id",
                            _("Not a valid choice."))
    return target


def create_target(session: Session, values: dict[str, Any], user: Any) -> Target:
    """A new target (the Resource's ``create``)."""
    return _save(session, Target(), values, user)


def update_target(session: Session, target: Target, values: dict[str, Any],
                  user: Any) -> Target:
    """Change a target (the Resource's ``update``)."""
    return _save(session, target, values, user)


def _department_column(session: Session, records: list[Target]) -> dict[int, str]:
    names = department_names(session, [record.department_id for record in records])
    return {record.id: names.get(record.department_id, "") for record in records}


def _department_name(value: Any) -> str:
    """A department id as its name (the detail page shows one record)."""
    if value is None:
        return ""
    return department_names(db.session, [value]).get(value, str(value))


def _yuan_text(value: Any) -> str:
    return yuan(value) if isinstance(value, int) else ""


TARGETS = Resource(
    model=Target, name="targets", label=_l("Sales targets"), label_one=_l("Sales target"),
    fields=[Field("user_id", _l("User"), relation="user", relation_label="username"),
            Field("department_id", _l("Department"), format=_department_name),
            Field("period_kind", _l("Period"), choices=PERIODS),
            Field("period_start", _l("Starts")),
            Field("amount", _l("Target"), format=_yuan_text)],
    title_field="period_start",
    columns=["period_start", "period_kind", "user_id", "department", "amount"],
    computed=[Computed("department", _l("Department"), _department_column)],
    filters=[Filter("period_kind", "choice")],
    sorts=["period_start"], default_sort="-period_start",
    form_class=TargetForm, create=create_target, update=update_target,
    api_overrides={"amount": Yuan(required=True)},
    permissions={action: TARGET_MANAGE for action in ("view", "create", "edit", "delete",
                                                      "export")},
    actions=("view", "create", "edit", "delete", "export"), soft_delete=None,
    icon="bullseye", order=935, parent="sales.opportunities",
)


def resources() -> list[Resource]:
    """The targets Resource."""
    return [TARGETS]
