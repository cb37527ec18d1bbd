"""Opportunities: the only module that writes them (every page, the API, the kanban and the
bulk changes call it).

- ``create_opportunity`` places it (owner: the author unless given; department: the
  owner's), starts it in its pipeline's first open stage unless a stage is given, opens its
  stage history, asks marketing's ``sales_opportunity_campaign`` hook for its campaign.
- ``change_stage`` enforces the stage's required fields (``FieldError`` naming the missing
  one), takes the stage's probability, status (its kind), ``closed_at`` and forecast
  category, closes the open history row and opens the next, and fires
  ``opportunity_stage_changed`` then ``opportunity_won`` / ``opportunity_lost``.
- Every write keeps ``StageTotal`` exact (``totals.shift``). The caller commits.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import column, select, table
from sqlalchemy.orm import Session

from crm_core.toolkit import DomainError, emit, hooks, utcnow
from crm_core.toolkit import stored_time as aware

from ..models import Opportunity, Pipeline, Stage, StageHistory
from ..money import MoneyError, to_fen
from ..pipelines.services import (
    default_pipeline,
    field_label,
    find_stage,
    first_open_stage,
)
from . import totals

#: What a form, the API or the kanban may set (the rest follows from the stage).
EDITABLE = ("name", "customer_id", "type", "pipeline_id", "stage_id", "amount", "probability",
            "expected_close_date", "forecast_category", "source", "campaign_id",
            "competitors", "next_step", "lost_reason", "owner_id")
TEXT_LIMITS = {"name": 200, "source": 50, "competitors": 500, "next_step": 500,
               "lost_reason": 5000}
_users = table("core_user", column("id"), column("department_id"), column("is_active"))


class FieldError(DomainError):
    """A value refused under ``field`` (a form error there, a 422 naming it in the API)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field



def owner_department(session: Session, owner_id: int | None) -> int | None:
    """The department of user ``owner_id`` (None for none)."""
    if owner_id is None:
        return None
    return session.scalar(select(_users.c.department_id).where(_users.c.id == owner_id))


def clean_values(values: dict[str, Any] | None) -> dict[str, Any]:
    """Values typed on the kanban or sent to the stage API, checked: ``amount`` in yuan
    (``"12,000.50"``), ``expected_close_date`` as YYYY-MM-DD, texts within their length.
    Unknown names are ignored; a bad value raises ``FieldError`` naming its field."""
    cleaned: dict[str, Any] = {}
    for name, raw in (values or {}).items():
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        if name == "amount":
            try:
                cleaned[name] = to_fen(raw)
            except MoneyError:
                raise FieldError(name, _("Enter an amount in yuan, such as 12000.50.")) \
                    from None
        elif name == "expected_close_date":
            try:
                cleaned[name] = raw if isinstance(raw, dt.date) else \
                    dt.date.fromisoformat(str(raw).strip()[:10])
            except ValueError:
                raise FieldError(name, _("Enter a date as YYYY-MM-DD.")) from None
        elif name in TEXT_LIMITS:
            text = str(raw).strip()
            if len(text) > TEXT_LIMITS[name]:
                raise FieldError(name, _("At most %(num)d characters.",
                                         num=TEXT_LIMITS[name]))
            cleaned[name] = text
    return cleaned


def missing_fields(opportunity: Opportunity, stage: Stage) -> list[str]:
    """The fields ``stage`` requires that ``opportunity`` has not filled."""
    missing = []
    for name in stage.required_fields or ():
        value = getattr(opportunity, name, None)
        empty = (not value) if name == "amount" else \
            (value is None or (isinstance(value, str) and not value.strip()))
        if empty:
            missing.append(name)
    return missing


def _stage_of(session: Session, pipeline_id: int, stage_id: Any) -> Stage:
    stage = find_stage(session, pipeline_id, stage_id)
    if stage is None:
        raise FieldError("stage_id", _("Not a stage of the opportunity's pipeline."))
    return stage


def _enter(opportunity: Opportunity, stage: Stage, now: dt.datetime) -> None:
    """Take the stage's probability, status, closing time and forecast category."""
    opportunity.stage_id = stage.id
    opportunity.probability = stage.probability
    opportunity.status = stage.kind
    opportunity.stage_entered_at = now
    if stage.kind == "open":
        opportunity.closed_at = None
        if opportunity.forecast_category in ("closed", "omitted"):
            opportunity.forecast_category = "pipeline"
    else:
        opportunity.closed_at = now
        opportunity.forecast_category = "closed" if stage.kind == "won" else "omitted"


def _refuse_missing(opportunity: Opportunity, stage: Stage) -> None:
    missing = missing_fields(opportunity, stage)
    if missing:
        raise FieldError(missing[0], _("“%(field)s” is required before an opportunity enters "
                                       "the stage “%(stage)s”.",
                                       field=field_label(missing[0]), stage=stage.name))


def _text_values(values: dict[str, Any]) -> dict[str, Any]:
    for name, limit in TEXT_LIMITS.items():
        if isinstance(values.get(name), str):
            values[name] = values[name].strip()
            if len(values[name]) > limit:
                raise FieldError(name, _("At most %(num)d characters.", num=limit))
    return values


def _check_owner(session: Session, owner_id: Any) -> None:
    if owner_id is None:
        return
    if session.scalar(select(_users.c.id).where(_users.c.id == owner_id)) is None:
        raise FieldError("owner_id", _("Not a valid choice."))


def _emit_closed(session: Session, opportunity: Opportunity, stage: Stage) -> None:
    if stage.kind == "won":
        emit("opportunity_won", session, opportunity_id=opportunity.id,
             amount=int(opportunity.amount or 0), customer_id=opportunity.customer_id)
    elif stage.kind == "lost":
        emit("opportunity_lost", session, opportunity_id=opportunity.id,
             reason=opportunity.lost_reason or "", customer_id=opportunity.customer_id)


def create_opportunity(session: Session, values: dict[str, Any], user: Any) -> Opportunity:
    """A new opportunity from ``values`` (the ``EDITABLE`` names), by ``user``."""
    values = _text_values({name: value for name, value in values.items()
                           if name in EDITABLE and value is not None})
    if not values.get("name"):
        raise FieldError("name", _("Enter a name."))
    if values.get("customer_id") is None:
        raise FieldError("customer_id", _("Choose a customer."))
    pipeline = (session.get(Pipeline, values["pipeline_id"]) if values.get("pipeline_id")
                else default_pipeline(session))
    if pipeline is None:
        raise FieldError("pipeline_id", _("Choose a pipeline."))
    stage = (_stage_of(session, pipeline.id, values["stage_id"]) if values.get("stage_id")
             else first_open_stage(session, pipeline.id))
    if stage is None:
        raise FieldError("stage_id", _("The pipeline has no open stage yet."))
    owner_id = values.pop("owner_id", None) or getattr(user, "id", None)
    _check_owner(session, owner_id)
    probability = values.pop("probability", None)
    values.pop("stage_id", None)
    values["pipeline_id"] = pipeline.id
    opportunity = Opportunity(**values)
    opportunity.owner_id = owner_id
    opportunity.department_id = owner_department(session, owner_id)
    opportunity.amount = opportunity.amount or 0
    opportunity.forecast_category = opportunity.forecast_category or "pipeline"
    opportunity.status = "open"
    now = utcnow()
    _enter(opportunity, stage, now)
    if probability is not None:
        opportunity.probability = probability
    _refuse_missing(opportunity, stage)
    session.add(opportunity)
    session.flush()
    session.add(StageHistory(opportunity_id=opportunity.id, stage_id=stage.id,
                             user_id=getattr(user, "id", None), entered_at=now))
    if opportunity.campaign_id is None:
        campaign = hooks().sales_opportunity_campaign(
            opportunity_id=opportunity.id, customer_id=opportunity.customer_id,
            source=opportunity.source or "")
        if isinstance(campaign, int) and not isinstance(campaign, bool):
            opportunity.campaign_id = campaign
    session.flush()
    totals.shift(session, None, totals.share(opportunity))
    emit("opportunity_stage_changed", session, opportunity_id=opportunity.id,
         from_stage_id=None, to_stage_id=stage.id, user_id=getattr(user, "id", None))
    _emit_closed(session, opportunity, stage)
    return opportunity


def change_stage(session: Session, opportunity: Opportunity, stage_id: Any, user: Any,
                 values: dict[str, Any] | None = None) -> Opportunity:
    """Move ``opportunity`` to the stage ``stage_id`` (an id or a name of its pipeline),
    after setting ``values`` (typed: ``clean_values``) for the fields the stage requires."""
    stage = _stage_of(session, opportunity.pipeline_id, stage_id)
    before = totals.share(opportunity)
    for name, value in clean_values(values).items():
        setattr(opportunity, name, value)
    if stage.id == opportunity.stage_id:
        session.flush()
        totals.shift(session, before, totals.share(opportunity))
        return opportunity
    _refuse_missing(opportunity, stage)
    now = utcnow()
    from_stage_id = opportunity.stage_id
    current = session.scalar(select(StageHistory).where(
        StageHistory.opportunity_id == opportunity.id, StageHistory.left_at.is_(None))
        .order_by(StageHistory.entered_at.desc(), StageHistory.id.desc()).limit(1))
    if current is not None:
        current.left_at = now
        current.seconds = max(0, int((now - aware(current.entered_at)).total_seconds()))
    session.add(StageHistory(opportunity_id=opportunity.id, stage_id=stage.id,
                             from_stage_id=from_stage_id, user_id=getattr(user, "id", None),
                             entered_at=now))
    _enter(opportunity, stage, now)
    session.flush()
    totals.shift(session, before, totals.share(opportunity))
    emit("opportunity_stage_changed", session, opportunity_id=opportunity.id,
         from_stage_id=from_stage_id, to_stage_id=stage.id,
         user_id=getattr(user, "id", None))
    _emit_closed(session, opportunity, stage)
    return opportunity


def update_opportunity(session: Session, opportunity: Opportunity, values: dict[str, Any],
                       user: Any) -> Opportunity:
    """Change fields of ``opportunity``; a new owner brings their department, a new stage
    goes through ``change_stage`` (after the other fields are set)."""
    values = _text_values({name: value for name, value in values.items() if name in EDITABLE})
    for required in ("name", "customer_id"):
        if required in values and not values[required]:
            raise FieldError(required, _("This field is required."))
    pipeline_id = values.pop("pipeline_id", None)
    if pipeline_id is not None and pipeline_id != opportunity.pipeline_id:
        raise FieldError("pipeline_id", _("An opportunity stays in its pipeline."))
    stage_id = values.pop("stage_id", None)
    before = totals.share(opportunity)
    if "owner_id" in values:
        owner_id = values.pop("owner_id")
        if owner_id is not None and owner_id != opportunity.owner_id:
            _check_owner(session, owner_id)
            opportunity.owner_id = owner_id
            opportunity.department_id = owner_department(session, owner_id)
    for name, value in values.items():
        if name == "amount" and value is None:
            value = 0
        if name == "probability" and value is None:
            stage = session.get(Stage, opportunity.stage_id)
            value = stage.probability if stage is not None else opportunity.probability
        if name in ("type", "forecast_category") and value is None:
            continue
        setattr(opportunity, name, "" if value is None and name in TEXT_LIMITS else value)
    session.flush()
    totals.shift(session, before, totals.share(opportunity))
    if stage_id is not None and stage_id != opportunity.stage_id:
        change_stage(session, opportunity, stage_id, user)
    return opportunity


def delete_opportunity(session: Session, opportunity: Opportunity, user: Any) -> None:
    """Move ``opportunity`` to the trash (it leaves the totals)."""
    before = totals.share(opportunity)
    opportunity.deleted_at = utcnow()
    session.flush()
    totals.shift(session, before, None)


def restore_opportunity(session: Session, opportunity: Opportunity, user: Any) -> None:
    """Take ``opportunity`` out of the trash (it counts again while open)."""
    opportunity.deleted_at = None
    session.flush()
    totals.shift(session, None, totals.share(opportunity))


def purge_customer_opportunities(session: Session, customer_id: int) -> int:
    """Delete for good the opportunities of a customer being purged (they leave the
    totals first: the database's cascade would not tell them); how many."""
    rows = list(session.scalars(select(Opportunity).where(
        Opportunity.customer_id == customer_id)))
    for row in rows:
        totals.shift(session, totals.share(row), None)
        session.delete(row)
    session.flush()
    return len(rows)


def is_stale(opportunity: Opportunity, rot_days: int | None,
             now: dt.datetime | None = None) -> bool:
    """Whether an open opportunity has sat in its stage longer than ``rot_days``."""
    entered = aware(opportunity.stage_entered_at)
    if opportunity.status != "open" or not rot_days or entered is None:
        return False
    return (now or utcnow()) - entered > dt.timedelta(days=rot_days)
