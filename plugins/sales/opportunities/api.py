"""``POST /api/v1/sales/opportunities/<id>/stage``: move an opportunity to another stage.

The body is ``{"stage": <stage id or name>}`` plus, optionally, values for the fields the
stage requires (``amount`` in yuan, ``expected_close_date``, ``next_step``, ...). An unknown
stage, one of another pipeline or a missing required field answers 422 problem+json naming
the field; an opportunity outside the caller's scope 404.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort
from flask_login import current_user
from marshmallow import Schema, ValidationError, fields, validate

from crm_core.toolkit import (
    INT32_MAX,
    UtcDateTime,
    api_endpoint,
    get_scoped_or_404,
    get_session,
)

from ..models import Opportunity, Stage
from ..permissions import OPPORTUNITY_EDIT
from .forms import Yuan
from .services import FieldError, change_stage

api = Blueprint("sales_opportunity_stage_api", __name__)


def blueprints() -> list[Blueprint]:
    """The stage API's blueprint."""
    return [api]


class StageRef(fields.Field):
    """A stage id (a whole number) or a stage name."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValidationError("Give the stage's id or name.")
        if isinstance(value, int) and not 1 <= value <= INT32_MAX:
            raise ValidationError("Not a stage of the opportunity's pipeline.")
        if isinstance(value, str) and not 1 <= len(value.strip()) <= 100:
            raise ValidationError("Give the stage's id or name.")
        return value


class StageIn(Schema):
    """The stage to enter and values for the fields it requires."""

    stage = StageRef(required=True, metadata={"description": "Stage id or name."})
    amount = fields.Raw(load_default=None, metadata={"description": "Amount in yuan."})
    expected_close_date = fields.Date(load_default=None)
    next_step = fields.String(load_default=None, validate=validate.Length(max=500))
    competitors = fields.String(load_default=None, validate=validate.Length(max=500))
    source = fields.String(load_default=None, validate=validate.Length(max=50))
    lost_reason = fields.String(load_default=None, validate=validate.Length(max=5000))


class StageOut(Schema):
    """The opportunity after the move."""

    id = fields.Integer()
    name = fields.String()
    pipeline_id = fields.Integer()
    stage_id = fields.Integer()
    stage = fields.String()
    status = fields.String()
    probability = fields.Integer()
    amount = Yuan()
    expected_close_date = fields.Date()
    forecast_category = fields.String()
    lost_reason = fields.String()
    stage_entered_at = UtcDateTime()
    closed_at = UtcDateTime()


@api_endpoint(api, "/api/v1/sales/opportunities/<int:opportunity_id>/stage", methods=["POST"],
              permission=OPPORTUNITY_EDIT, body=StageIn, response=StageOut, tags=["sales"],
              endpoint="stage")
def move_stage(body: dict[str, Any], opportunity_id: int) -> dict[str, Any]:
    """Move an opportunity to another stage of its pipeline; 422 names a missing field."""
    if not 1 <= opportunity_id <= INT32_MAX:
        abort(404)
    session = get_session()
    opportunity = get_scoped_or_404(Opportunity, opportunity_id, live_only=True)
    values = {name: value for name, value in body.items() if name != "stage"}
    try:
        change_stage(session, opportunity, body["stage"], current_user, values)
    except FieldError as error:
        session.rollback()
        if error.field == "stage_id":
            raise FieldError("stage", str(error)) from None
        raise
    session.commit()
    stage = session.get(Stage, opportunity.stage_id)
    return {**{name: getattr(opportunity, name) for name in StageOut._declared_fields
               if name != "stage"}, "stage": stage.name}
