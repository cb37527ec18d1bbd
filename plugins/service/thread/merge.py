"""Merge fields of canned replies: ``{{ customer.name }}``, ``{{ contact.name }}``,
``{{ ticket.number }}``, ``{{ ticket.subject }}`` and ``{{ agent.name }}``.

Texts are rendered by a sandboxed Jinja environment (``SandboxedEnvironment``) and, before
that, checked to hold only text and those fields: no loops, calls, filters or other
expressions, so a canned reply can neither reach Python objects nor run for long. An unknown
field or a broken ``{{`` is a ``TicketError`` on ``body`` in words an administrator
understands, never a 500.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from jinja2 import StrictUndefined, TemplateSyntaxError, nodes
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import model_for_table
from plugins.customers.services import CUSTOMER_TABLE

from ..models import Ticket
from ..tickets.services import TicketError
from .recipients import customer_address

#: The fields a text may name: ``{{ <object>.<attribute> }}``.
FIELDS: dict[str, tuple[str, ...]] = {"customer": ("name",), "contact": ("name",),
                                      "ticket": ("number", "subject"), "agent": ("name",)}
FIELD_NAMES = tuple(f"{{{{ {name}.{attr} }}}}" for name, attrs in FIELDS.items()
                    for attr in attrs)
_ALLOWED = (nodes.Template, nodes.Output, nodes.TemplateData, nodes.Getattr, nodes.Name)
_ENV = SandboxedEnvironment(autoescape=False, undefined=StrictUndefined,
                            keep_trailing_newline=True)


def _refused(message: str) -> TicketError:
    return TicketError("body", message)


def _check(tree: nodes.Template) -> None:
    for node in tree.find_all(nodes.Node):
        if not isinstance(node, _ALLOWED):
            raise _refused(_("Only merge fields can be used between {{ and }}: %(fields)s.",
                             fields=", ".join(FIELD_NAMES)))
        if isinstance(node, nodes.Getattr):
            owner = node.node
            if not isinstance(owner, nodes.Name) or node.attr not in FIELDS.get(owner.name, ()):
                raise _refused(_("Unknown merge field. These can be used: %(fields)s.",
                                 fields=", ".join(FIELD_NAMES)))
    if any(isinstance(item, nodes.Name) for output in tree.find_all(nodes.Output)
           for item in output.nodes):  # {{ customer }}: an object, not a field
        raise _refused(_("Unknown merge field. These can be used: %(fields)s.",
                         fields=", ".join(FIELD_NAMES)))


def check_template(text: str) -> None:
    """Raise ``TicketError`` on ``body`` unless ``text`` is text with known merge fields."""
    try:
        tree = _ENV.parse(text)
    except TemplateSyntaxError as error:
        raise _refused(_("The text cannot be read at line %(line)s: check each {{ has its "
                         "}}.", line=error.lineno)) from None
    _check(tree)


def render(text: str, values: dict[str, dict[str, str]]) -> str:
    """``text`` with its merge fields filled from ``values`` (checked first)."""
    check_template(text)
    return _ENV.from_string(text).render(values)


def merge_values(session: Session, ticket: Ticket, agent: Any) -> dict[str, dict[str, str]]:
    """The values of the merge fields for a reply on ``ticket`` written by ``agent``."""
    customer = model_for_table(CUSTOMER_TABLE)
    customer_name = session.scalar(select(customer.name).where(
        customer.id == ticket.customer_id)) or ""
    recipient = customer_address(session, ticket)
    agent_name = getattr(agent, "display_name", "") or getattr(agent, "username", "") or ""
    return {"customer": {"name": customer_name},
            "contact": {"name": recipient.name if recipient else ""},
            "ticket": {"number": ticket.number, "subject": ticket.subject},
            "agent": {"name": agent_name}}


def sample_values() -> dict[str, dict[str, str]]:
    """Values to try a text with when it is saved."""
    return {name: {attr: attr for attr in attrs} for name, attrs in FIELDS.items()}
