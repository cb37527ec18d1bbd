"""The service plugin's tables; every table name starts with ``service_``."""

from __future__ import annotations

from .aggregates import OpenTicketTotal, SurveyMonthlyTotal, TicketMonthlyTotal
from .assignment import AssignmentRule
from .calendar import CompanyDay
from .canned import CannedReply
from .choices import (
    CHANNELS,
    OPEN_STATES,
    PRIORITIES,
    REQUEST_TYPES,
    SLA_STATES,
    TICKET_STATES,
)
from .policies import SlaPolicy
from .public_forms import PublicForm
from .requests import ServiceRequest
from .surveys import Evaluation, Survey
from .teams import Team, TeamMember
from .tickets import Ticket, TicketMessage

MODELS = (Team, TeamMember, SlaPolicy, ServiceRequest, Ticket, TicketMessage, CompanyDay,
          AssignmentRule, CannedReply, PublicForm, Survey, Evaluation, TicketMonthlyTotal,
          SurveyMonthlyTotal, OpenTicketTotal)

__all__ = [
    "AssignmentRule", "CHANNELS", "MODELS", "CompanyDay", "OPEN_STATES", "PRIORITIES",
    "REQUEST_TYPES", "SLA_STATES", "TICKET_STATES", "ServiceRequest", "SlaPolicy", "Team",
    "TeamMember", "Ticket", "TicketMessage", "CannedReply", "PublicForm",
    "Evaluation", "OpenTicketTotal", "Survey", "SurveyMonthlyTotal", "TicketMonthlyTotal",
]
