"""``/api/v1/service/surveys`` (a part: ``blueprints()``): the surveys of the tickets the
caller may see, newest first by keyset (filters ``ticket_id``, ``answered`` true/false,
``stars``), and ``/<survey_id>``: one of them (404 for a survey of a ticket outside the
caller's scope). Read only: customers answer through the signed link, never the API.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_login import current_user
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from crm_core.toolkit import (
    Id,
    ListQuery,
    Page,
    UtcDateTime,
    api_endpoint,
    get_scoped_or_404,
    get_session,
    paginate,
    scoped,
)

from ..models import Survey
from ..permissions import TICKET_VIEW
from .services import describe

api = Blueprint("service_surveys_api", __name__)
BASE = "/api/v1/service/surveys"


def blueprints() -> list[Blueprint]:
    """The surveys API's blueprint."""
    return [api]


class SurveyOut(Schema):
    """A survey: whom it went to, when, until when it is open, and the answer."""

    id = fields.Integer()
    ticket_id = fields.Integer()
    team_id = fields.Integer(allow_none=True)
    agent_id = fields.Integer(allow_none=True, metadata={
        "description": "The ticket's assignee when it was resolved."})
    customer_id = fields.Integer()
    department_id = fields.Integer(allow_none=True)
    sent_to = fields.String()
    language = fields.String(metadata={"enum": ["zh_CN", "en"]})
    sent_at = UtcDateTime()
    expires_at = UtcDateTime()
    answered_at = UtcDateTime(allow_none=True)
    state = fields.Function(lambda survey: describe(survey),
                            metadata={"enum": ["open", "answered", "closed"]})
    stars = fields.Integer(allow_none=True, metadata={"description": "1 to 5."})
    resolved = fields.Boolean(allow_none=True, metadata={
        "description": "Whether the customer says the problem was resolved."})
    comment = fields.String()


class SurveyQuery(ListQuery):
    """The list's filters."""

    ticket_id = Id(load_default=None)
    answered = fields.Boolean(load_default=None, allow_none=True)
    stars = fields.Integer(load_default=None, validate=validate.Range(1, 5))


@api_endpoint(api, BASE, permission=TICKET_VIEW, response=SurveyOut, page=True,
              query=SurveyQuery, tags=["service"], endpoint="list")
def list_surveys(query: dict[str, Any]) -> Page:
    """List the surveys of the tickets you may see, newest first, by cursor."""
    statement = scoped(select(Survey), Survey, current_user._get_current_object())  # noqa: SLF001
    if query.get("ticket_id"):
        statement = statement.where(Survey.ticket_id == query["ticket_id"])
    if query.get("answered") is not None:
        answered = Survey.answered_at.is_not(None)
        statement = statement.where(answered if query["answered"] else ~answered)
    if query.get("stars"):
        statement = statement.where(Survey.stars == query["stars"])
    return paginate(get_session(), statement, descending=True, limit=query["limit"],
                    cursor=query.get("cursor"), before=query.get("before"))


@api_endpoint(api, f"{BASE}/<int:survey_id>", permission=TICKET_VIEW, response=SurveyOut,
              tags=["service"], endpoint="get")
def get_survey(survey_id: int) -> Survey:
    """One survey; 404 when its ticket is outside your scope."""
    return get_scoped_or_404(Survey, survey_id)
