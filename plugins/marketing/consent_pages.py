"""The consent ledger's pages and API.

Pages: the ledger as a ``toolkit.Resource`` at ``/marketing/consents`` (list, a form to
record a grant or a withdrawal, export of the filtered list), and one address's history as
a file at ``/marketing/consents/history?email=`` (CSV or XLSX). API:
``POST /api/v1/marketing/consents`` (201) and ``GET /api/v1/marketing/consents?email=``
(the address's history, newest first).
A part of the marketing plugin: ``resources()``, ``blueprints()``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import Schema, fields, validate
from werkzeug.wrappers import Response

from crm_core.toolkit import (
    TABLE_FORMATS,
    Field,
    Filter,
    Resource,
    UtcDateTime,
    api_endpoint,
    format_datetime,
    get_session,
    record_event,
    require_permission,
    user_names,
    write_table,
)

from . import consents
from .models import PURPOSE_LABELS, PURPOSES, Consent

VIEW, CREATE = "marketing.consent.view", "marketing.consent.create"
EXPORT = "marketing.consent.export"

api = Blueprint("marketing_consents_api", __name__)
pages = Blueprint("marketing_consent_history", __name__)


class ConsentIn(Schema):
    """A consent event as the API takes it."""

    email = fields.String(required=True, validate=validate.Length(min=3, max=254))
    purpose = fields.String(load_default="marketing_email", validate=validate.OneOf(PURPOSES))
    granted = fields.Boolean(required=True)
    source = fields.String(load_default="", validate=validate.Length(max=100))


class ConsentOut(Schema):
    """A consent event: ``user_id`` None was the person themselves (public)."""

    id = fields.Integer()
    email = fields.String()
    contact_id = fields.Integer(allow_none=True)
    purpose = fields.String()
    granted = fields.Boolean()
    source = fields.String()
    at = UtcDateTime()
    user_id = fields.Integer(allow_none=True)
    by = fields.Method("_by")

    def _by(self, consent: Consent) -> str:
        return "user" if consent.user_id is not None else "public"


class HistoryQuery(Schema):
    """``?email=``: whose history."""

    email = fields.String(required=True, validate=validate.Length(min=3, max=254))


class HistoryOut(Schema):
    """An address's consent history and its current state per purpose."""

    email = fields.String()
    granted = fields.Boolean(allow_none=True)
    items = fields.List(fields.Nested(ConsentOut))


@api_endpoint(api, "/api/v1/marketing/consents", methods=["POST"], permission=CREATE,
              body=ConsentIn, response=ConsentOut, status=201, tags=["marketing"],
              endpoint="create")
def create_consent(body: dict[str, Any]) -> Consent:
    """Record a grant or a withdrawal of consent for an address and purpose."""
    session = get_session()
    event = consents.record_consent(session, body, current_user)
    session.commit()
    return event


@api_endpoint(api, "/api/v1/marketing/consents", permission=VIEW, query=HistoryQuery,
              response=HistoryOut, tags=["marketing"], endpoint="history")
def consent_history(query: dict[str, Any]) -> dict[str, Any]:
    """An address's consent events, newest first, and whether marketing e-mail is granted
    now (null: never asked)."""
    session = get_session()
    email = consents.normal_email(query["email"])
    return {"email": email, "granted": consents.current_consent(session, email),
            "items": consents.consent_history(session, email)}


def _record(session: Any, values: dict[str, Any], user: Any) -> Consent:
    return consents.record_consent(session, values, user)


_RESOURCE: list[Resource] = []


def resources() -> list[Resource]:
    """The consent ledger's Resource (its pages and export; the API is ours)."""
    if not _RESOURCE:
        _RESOURCE.append(Resource(
            model=Consent, name="consents", label=_l("Consents"), label_one=_l("Consent"),
            fields=[Field("email", _l("E-mail")),
                    Field("purpose", _l("Purpose"), choices=list(PURPOSE_LABELS.items())),
                    Field("granted", _l("Granted")),
                    Field("source", _l("Source")),
                    Field("at", _l("At"), form=False),
                    Field("contact_id", _l("Contact"), form=False),
                    Field("user_id", _l("Recorded by"), relation="user", form=False)],
            title_field="email", columns=["email", "purpose", "granted", "source", "at",
                                          "user_id"],
            filters=[Filter("purpose", "choice"), Filter("at", "date_range")],
            search=["email"], create=_record, api=False, history=False,
            export_columns=["id", "email", "purpose", "granted", "source", "at",
                            "contact_id", "user_id"],
            actions=("view", "create", "export"), icon="shield-check", order=410,
            parent="marketing.campaigns"))
    return list(_RESOURCE)


@pages.get("/marketing/consents/history")
@require_permission(EXPORT)
def history_file() -> Response:
    """One address's consent history (``?email=``) as CSV (UTF-8 with BOM, for Excel) or
    XLSX (``?format=xlsx``), newest first; the export is logged."""
    fmt = request.args.get("format", "csv")
    if fmt not in TABLE_FORMATS:
        abort(404)
    session = get_session()
    try:
        email = consents.normal_email(request.args.get("email", "")[:300])
    except consents.ConsentError:
        abort(404)
    events = consents.consent_history(session, email)
    names = user_names(session, {event.user_id for event in events if event.user_id})
    rows = [[format_datetime(event.at), event.email, str(PURPOSE_LABELS.get(event.purpose,
                                                                              event.purpose)),
             _("Granted") if event.granted else _("Withdrawn"), event.source,
             names.get(event.user_id, "") if event.user_id else _("The person (public)")]
            for event in events]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"consents.{fmt}"
        write_table(path, fmt, [_("At"), _("E-mail"), _("Purpose"), _("Decision"),
                                _("Source"), _("Recorded by")], [rows],
                    sheet_title=_("Consents"))
        content = path.read_bytes()
    record_event("export", _("Consent history of %(email)s", email=email), model=Consent,
                 changes={"email": email, "rows": len(rows)}, session=session)
    session.commit()
    mimetype = "text/csv" if fmt == "csv" else \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(content, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="consents.{fmt}"'})


def blueprints() -> list[Blueprint]:
    """The consents API and the history download."""
    return [api, pages]
