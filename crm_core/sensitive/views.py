"""The reveal button of a masked value, and the template helpers that draw masks.

``POST /sensitive/<kind>/<record_id>/<field>/reveal`` (``index`` in the form: which value
of a field with several) answers the one clear value as an HTML fragment that htmx swaps in
place of the mask. Who may: a signed-in user holding the record's view permission, with the
record in their data scope (else 404), and ``<kind>.reveal_sensitive`` or
``view_sensitive`` (else 403). A sales rep, whose scope is "own", reveals values of their
own customers; a service agent those of the customers they may see. Every reveal is an
entry of the operation log (``reveal``: who, which record, which field and value; never
the value itself). CSRF is checked as for every POST. A user reveals at most
``CRM_SENSITIVE_REVEAL_LIMIT`` values (default 200 a day; then 429).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    make_response,
    render_template,
    request,
)
from flask_babel import lazy_gettext as _l
from limits import parse_many

from ..audit.service import record_event
from ..auth.permissions import require_permission
from ..db import get_session
from ..rbac.scope import get_scoped_or_404
from ..ui.formatting import format_phone
from .access import declaration, mask_value, may_reveal, may_see

bp = Blueprint("core_sensitive", __name__)
FRAGMENT = "core/_sensitive_clear.html"
INDEX_MAX = 100  # values of one field (phones of a customer are far fewer)
REVEAL_LIMIT = "200 per day"  # reveals per user (CRM_SENSITIVE_REVEAL_LIMIT)
log = logging.getLogger(__name__)


@bp.app_template_global("crm_sensitive_clear")
def sensitive_clear(kind: str) -> bool:
    """Whether the signed-in user sees ``kind``'s sensitive values in clear."""
    return may_see(kind)


@bp.app_template_global("crm_sensitive_revealable")
def sensitive_revealable(kind: str) -> bool:
    """Whether the signed-in user may reveal ``kind``'s masked values one at a time (a kind
    declared without a model has no reveal button)."""
    spec = declaration(kind)
    return spec is not None and spec.model is not None and may_reveal(kind)


@bp.app_template_global("crm_mask")
def template_mask(kind: str, field: str, value: Any) -> Any:
    """``value`` of ``field`` as the signed-in user may see it (``mask_value``)."""
    return mask_value(kind, field, value)


def _within_budget(user_id: int) -> bool:
    """Count one reveal of ``user_id`` against ``CRM_SENSITIVE_REVEAL_LIMIT`` (default
    ``"200 per day"``) in the rate limits' storage (shared by every process with Redis); a
    failing storage lets the reveal through (it is logged either way), as the API limits
    do."""
    limiter = current_app.extensions.get("crm_limiter")
    if limiter is None:
        return True
    configured = str(current_app.config.get("CRM_SENSITIVE_REVEAL_LIMIT") or REVEAL_LIMIT)
    try:
        budgets = parse_many(configured)
    except ValueError:
        log.warning("CRM_SENSITIVE_REVEAL_LIMIT %r is not a rate limit; using %r",
                    configured, REVEAL_LIMIT)
        budgets = parse_many(REVEAL_LIMIT)
    try:
        return all(limiter.counter.hit(budget, limiter.key_prefix, "reveal", str(user_id))
                   for budget in budgets)
    except Exception:  # noqa: BLE001 - a storage outage must not hide the reveal's log entry
        log.exception("The rate limit storage failed; the reveal goes through.")
        return True


def _index() -> int:
    raw = request.form.get("index", "0")
    if not (isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) < 4):
        abort(400)
    index = int(raw)
    if index >= INDEX_MAX:
        abort(400)
    return index


@bp.post("/sensitive/<kind>/<int:record_id>/<field>/reveal")
@require_permission()  # signed in; the kind's own permissions are checked below
def reveal(kind: str, record_id: int, field: str) -> Response:
    """One clear value of a masked field, written to the operation log."""
    spec = declaration(kind)
    if spec is None or spec.model is None or field not in spec.fields:
        abort(404)
    from flask_login import current_user

    if not current_user.has_permission(spec.record_permission):
        abort(403)
    index = _index()
    record = get_scoped_or_404(spec.model, record_id, current_user)
    if getattr(record, "deleted_at", None) is not None:
        abort(404)
    if not may_reveal(kind):
        abort(403)
    if not _within_budget(current_user.id):
        abort(429, description=str(_l("You have revealed as many values as you may for now; "
                                      "ask a manager, or try again later.")))
    stored = spec.read(record, field)
    values = list(stored) if isinstance(stored, list | tuple) else [stored]
    if index >= len(values) or values[index] in (None, ""):
        abort(404)
    value = str(values[index])
    record_event("reveal", _l("Revealed the masked value of %(field)s", field=field),
                 model=spec.model, record_id=record_id,
                 changes={"kind": kind, "field": field, "index": index,
                          "value_kind": spec.fields[field]})
    get_session().commit()
    shown = format_phone(value) if spec.fields[field] == "phone" else value
    response = make_response(render_template(FRAGMENT, kind=kind, field=field, value=value,
                                             shown=shown, value_kind=spec.fields[field]))
    response.headers["Cache-Control"] = "no-store"
    return response
