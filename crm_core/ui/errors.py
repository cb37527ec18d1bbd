"""What the error pages say, in the user's language.

The app's error handlers pass the HTTP status and Werkzeug's (English) name and description;
for the statuses people meet, the page shows a translated heading and explanation instead.
A description someone wrote on purpose (``abort(404, "No such customer.")``, a DomainError's
message) is shown as given.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import default_exceptions

MESSAGES: dict[int, tuple[Any, Any]] = {
    400: (_l("Bad request"), _l("The request could not be understood. Go back and try again.")),
    401: (_l("Please sign in"), _l("You need to sign in to see this page.")),
    403: (_l("Access denied"), _l("You do not have permission to open this page. "
                                  "Ask an administrator if you need it.")),
    404: (_l("Page not found"), _l("The page you asked for does not exist, or you may not "
                                   "see it.")),
    405: (_l("Not allowed"), _l("This page cannot be used that way.")),
    413: (_l("Too large"), _l("What you sent is too large.")),
    414: (_l("Address too long"), _l("The address of this page is too long. Shorten the "
                                     "search or go back and try again.")),
    409: (_l("Conflict"), _l("The record changed since you opened it. Reload it and try "
                             "again.")),
    422: (_l("Cannot do that"), _l("The request could not be carried out.")),
    429: (_l("Too many requests"), _l("Please wait a moment and try again.")),
    500: (_l("Something went wrong"), _l("The error was logged. Please try again later.")),
    503: (_l("Not available"), _l("The service is not available right now. "
                                  "Please try again later.")),
}
# What app.py's own handlers say, in English, when they have nothing specific to say.
GENERIC_DETAILS = {"The error was logged. Please try again later."}


def error_text(code: int, title: str | None = None, detail: str | None = None) -> tuple[str, str]:
    """The heading and explanation of the error page for ``code``."""
    heading, explanation = MESSAGES.get(code, (title or str(code), ""))
    default = default_exceptions.get(code)
    generic = {default.description} if default is not None else set()
    if detail and detail not in generic and detail not in GENERIC_DETAILS:
        explanation = detail
    return str(heading), str(explanation)
