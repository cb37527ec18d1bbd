"""The REST API kit wiring: token authentication, CSRF, JSON checks, problem+json errors,
rate limits.

``create_app`` calls ``init_app`` after CSRF and Babel are set up and before the blueprints
are registered.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app
from marshmallow import ValidationError
from werkzeug.exceptions import BadRequest

from ..auth.views import login_manager
from ..edge import guard
from ..edge.failures import rollback_session
from . import limits, pagination, problems, security


def _page_error(error: pagination.PageError) -> Any:
    # A page given a bad ?cursor=, ?before= or ?limit=: its first page, with a notice.
    if not problems.is_api_request():
        rollback_session()
        response = pagination.page_error(error)
        if response is not None:
            return response
    return _validation_error(error)


def _validation_error(error: ValidationError) -> Any:
    rollback_session()
    if problems.is_api_request():
        return problems.validation_problem(error.messages)
    # A page given a bad ?cursor= or ?limit=: a plain 400 page.
    return current_app.handle_http_exception(BadRequest())


def init_app(app: Flask) -> None:
    """Install token authentication, problem+json errors and rate limits on ``app``."""
    limits.init_app(app)  # before the token check: bad tokens spend their address's budget
    security.init_app(app, login_manager)
    app.before_request(guard.check_json)  # after authentication: anonymous writes get 401
    app.register_error_handler(ValidationError, _validation_error)
    app.register_error_handler(pagination.PageError, _page_error)
