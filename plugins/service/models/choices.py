"""The service plugin's fixed value lists and their labels (English here, Chinese in the
plugin's catalog): request types and channels, priorities, ticket and SLA states, message
kinds, delivery states and assignment modes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

REQUEST_TYPE_LABELS = {"inquiry": _l("Inquiry"), "complaint": _l("Complaint"),
                       "suggestion": _l("Suggestion")}
CHANNEL_LABELS = {"phone": _l("Phone"), "email": _l("E-mail"), "web_form": _l("Web form"),
                  "walk_in": _l("Walk-in"), "other": _l("Other channel")}
PRIORITY_LABELS = {"urgent": _l("Urgent"), "high": _l("High"), "normal": _l("Normal"),
                   "low": _l("Low")}
TICKET_STATE_LABELS = {"new": _l("New"), "assigned": _l("Assigned"),
                       "in_progress": _l("In progress"),
                       "waiting_on_customer": _l("Waiting on customer"),
                       "resolved": _l("Resolved"), "closed": _l("Closed")}
#: ``ok`` on track, ``warning`` 80 % of a target's working time gone, ``breached`` a target
#: missed while open, ``met`` resolved in time, ``missed`` resolved late.
SLA_STATE_LABELS = {"ok": _l("On track"), "warning": _l("Due soon"),
                    "breached": _l("Breached"), "met": _l("Met"), "missed": _l("Missed"),
                    "none": _l("No target")}
MESSAGE_KIND_LABELS = {"reply": _l("Reply to the customer"), "note": _l("Internal note")}
DELIVERY_STATE_LABELS = {"none": _l("Not sent"), "queued": _l("Queued"), "sent": _l("Sent"),
                         "failed": _l("Not delivered")}
ASSIGNMENT_MODE_LABELS = {"manual": _l("By hand"), "round_robin": _l("Round robin"),
                          "least_open": _l("Fewest open tickets")}

REQUEST_TYPES = tuple(REQUEST_TYPE_LABELS)
CHANNELS = tuple(CHANNEL_LABELS)
PRIORITIES = tuple(PRIORITY_LABELS)
TICKET_STATES = tuple(TICKET_STATE_LABELS)
SLA_STATES = tuple(SLA_STATE_LABELS)
#: States in which a ticket's SLA clocks run (resolved and closed ones are settled).
OPEN_STATES = ("new", "assigned", "in_progress", "waiting_on_customer")
