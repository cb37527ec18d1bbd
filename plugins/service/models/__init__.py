"""The service plugin's tables; every table name starts with ``service_``."""

from __future__ import annotations

from .choices import (
    CHANNELS,
    OPEN_STATES,
    PRIORITIES,
    REQUEST_TYPES,
    SLA_STATES,
    TICKET_STATES,
)
from .policies import SlaPolicy
from .requests import ServiceRequest
from .teams import Team, TeamMember
from .tickets import Ticket, TicketMessage

MODELS = (Team, TeamMember, SlaPolicy, ServiceRequest, Ticket, TicketMessage)

__all__ = [
    "CHANNELS", "MODELS", "OPEN_STATES", "PRIORITIES", "REQUEST_TYPES", "SLA_STATES",
    "TICKET_STATES", "ServiceRequest", "SlaPolicy", "Team", "TeamMember", "Ticket",
    "TicketMessage",
]
