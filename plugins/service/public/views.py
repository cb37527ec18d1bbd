"""The public pages (no sign-in): the request form at ``/service/form`` (the default form) and
``/service/form/<form_key>`` (a company's), and the status page ``/service/status/<token>``.
A part of the service plugin: ``blueprints()``.

The form answers HTML (WTForms; its CSRF token is signed and dated, see ``forms.py``) or,
for integrations, JSON: a JSON body or ``Accept: application/json`` gets 201
``{"reference", "status_url"}`` or a problem+json (422 with ``errors`` per field, 429 with
``Retry-After``). The blueprint is exempt from the kernel's session CSRF check: the HTML form
carries its own token, and the JSON path acts for nobody (it never reads the session or the
signed-in user), so a site riding a visitor's cookies gains nothing. Every post spends the
visitor's address's budget (``CRM_SERVICE_FORM_RATE_LIMIT``). Pages may be framed by the
form's allowed origins (any by default).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, g, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wrappers import Response

from crm_core.toolkit import (
    LinkExpired,
    LinkInvalid,
    asked_language,
    embeddable,
    get_session,
    over_budget,
    page_language,
    plugin_config,
    public,
    upload_limit,
)

from ..models.choices import REQUEST_TYPE_LABELS
from . import services
from .forms import HONEYPOT, PublicRequestForm
from .status import mail_status_link, request_of_token, ticket_statuses

bp = Blueprint("service_public", __name__, template_folder="../templates")
DEFAULT_RATE = "5 per minute; 30 per day"
BUDGET = "service.form"
FIELDS = ("type", "name", "phone", "email", "company", "subject", "content")


def blueprints() -> list[Blueprint]:
    """The public pages' blueprint."""
    return [bp]


@bp.record_once
def _exempt_from_session_csrf(state: Any) -> None:
    state.app.extensions["csrf"].exempt(bp)


def _body_limit_mb() -> float:
    """The form's body may hold one file of the form's limit, plus the text."""
    return services.max_file_mb() * 2 + 1


def _wants_json() -> bool:
    return request.is_json or request.accept_mimetypes.best_match(
        ["text/html", "application/json"]) == "application/json"


def _problem(status: int, detail: str, errors: dict[str, list[str]] | None = None,
             headers: dict[str, str] | None = None) -> Response:
    body: dict[str, Any] = {"type": "about:blank", "title": _title(status), "status": status,
                            "detail": detail, "instance": request.path}
    if errors:
        body["errors"] = errors
    return Response(json.dumps(body, ensure_ascii=False), status=status, headers=headers,
                    mimetype="application/problem+json")


def _title(status: int) -> str:
    return HTTP_STATUS_CODES.get(status, "Error")


def _form_origins() -> tuple[str, ...]:
    """The sites that may frame this answer (``embeddable``): the form's, else any."""
    return tuple(g.get("service_frame_origins", ("*",)))


def _framed(response: Response, form: services.FormSettings | None) -> Response:
    if form is not None:
        g.service_frame_origins = form.origins
    return response


def _page(template: str, status: int = 200, form: services.FormSettings | None = None,
          **context: Any) -> Response:
    html = render_template(template, lang=asked_language(),
                           max_file_mb=f"{services.max_file_mb():g}",
                           **context)
    return _framed(Response(html, status=status, mimetype="text/html"), form)


def _spent() -> int | None:
    """Count this post against each budget of the visitor's address; the seconds to wait
    when one is spent, else None."""
    budgets = str(plugin_config("service", "form_rate_limit", DEFAULT_RATE))
    waits = [over_budget(BUDGET, request.remote_addr or "unknown", budget.strip())
             for budget in budgets.split(";") if budget.strip()]
    waits = [wait for wait in waits if wait is not None]
    return max(waits) if waits else None


def _json_values() -> dict[str, Any] | None:
    if request.is_json:
        body = request.get_json(silent=True)
        return body if isinstance(body, dict) else None
    return request.form.to_dict()


def _upload() -> tuple[Any, str] | None:
    file = request.files.get("file")
    if not isinstance(file, FileStorage) or not file.filename:
        return None
    return file.stream, file.filename


def _status_url(token: str) -> str:
    lang = asked_language()
    return url_for("service_public.status", token=token, _external=True,
                   **({"lang": "zh-CN" if lang == "zh_CN" else lang} if lang else {}))


@bp.route("/service/form", methods=["GET", "POST"])
@embeddable(origins=_form_origins)
@upload_limit(_body_limit_mb)
@public
def default_form() -> Response:
    """The default public form (the first active one, else the built-in one)."""
    return _serve(None)


@bp.route("/service/form/<form_key>", methods=["GET", "POST"])
@embeddable(origins=_form_origins)
@upload_limit(_body_limit_mb)
@public
def company_form(form_key: str) -> Response:
    """A company's public form, by its address key."""
    return _serve(form_key)


def _serve(key: str | None) -> Response:
    with page_language():
        session = get_session()
        try:
            form = services.find_form(session, key)
        except services.FormNotFound as missing:
            if _wants_json():
                return _problem(404, str(missing))
            return _page("service/public/message.html", 404, None,
                         title=_("Form not found"), message=str(missing))
        if request.method == "POST":
            wait = _spent()
            if wait is not None:
                return _too_many(form, wait)
        if _wants_json():
            return _serve_json(session, form)
        return _serve_html(session, form)


def _too_many(form: services.FormSettings, wait: int) -> Response:
    detail = _("Too many requests from your address. Please try again in %(n)d seconds.",
               n=wait)
    headers = {"Retry-After": str(wait)}
    if _wants_json():
        return _problem(429, detail, headers=headers)
    response = _page("service/public/message.html", 429, form, title=_("Please wait a moment"),
                     message=detail)
    response.headers.update(headers)
    return response


def _serve_json(session: Any, form: services.FormSettings) -> Response:
    if request.method == "GET":
        return _framed(Response(json.dumps({
            "name": str(form.name), "fields": list(FIELDS),
            "types": {value: str(label) for value, label in REQUEST_TYPE_LABELS.items()}},
            ensure_ascii=False), mimetype="application/json"), form)
    values = _json_values()
    if values is None:
        return _problem(400, _("Send the fields as a JSON object."))
    if str(values.get(HONEYPOT) or "").strip():
        services.caught(form, request.remote_addr)
        return Response(json.dumps({"reference": None, "status_url": None}), status=201,
                        mimetype="application/json")
    try:
        outcome = services.submit(session, form, values, _upload())
    except services.SubmissionError as refused:
        session.rollback()
        return _problem(422, str(refused), refused.errors)
    request_ = outcome.request
    assert request_ is not None
    url = _status_url(outcome.token)
    mail_status_link(request_, url)
    session.commit()
    return Response(json.dumps({"reference": request_.number, "status_url": url}),
                    status=201, mimetype="application/json")


def _serve_html(session: Any, form: services.FormSettings) -> Response:
    page = PublicRequestForm()
    if request.method == "GET":
        page.type.data = form.default_type
        return _page("service/public/form.html", form=form, page=page, settings=form)
    if not page.validate_on_submit():
        return _page("service/public/form.html", 400, form, page=page, settings=form)
    if (page.homepage.data or "").strip():
        services.caught(form, request.remote_addr)
        return _page("service/public/done.html", form=form, settings=form, number=None,
                     status_url=None)
    values = {name: getattr(page, name).data for name in FIELDS}
    try:
        outcome = services.submit(session, form, values, _upload())
    except services.SubmissionError as refused:
        session.rollback()
        general = []
        for name, messages in refused.errors.items():
            if name in page._fields and name != "csrf_token":
                page[name].errors = list(messages)
            else:
                general.extend(messages)
        return _page("service/public/form.html", 400, form, page=page, settings=form,
                     general=general)
    assert outcome.request is not None
    url = _status_url(outcome.token)
    mail_status_link(outcome.request, url)
    session.commit()
    return _page("service/public/done.html", form=form, settings=form,
                 number=outcome.request.number, status_url=url,
                 email=outcome.request.requester_email)


@bp.get("/service/status/<token>")
@embeddable
@public
def status(token: str) -> Response:
    """A request's status for its customer, behind the signed link."""
    with page_language():
        session = get_session()
        try:
            found = request_of_token(session, token)
        except LinkExpired as expired:
            return _page("service/public/message.html", 410, None,
                         title=_("This link has expired"), message=str(expired))
        except LinkInvalid as invalid:
            return _page("service/public/message.html", 404, None,
                         title=_("This link is not valid"), message=str(invalid))
        return _page("service/public/status.html", record=found,
                     tickets=ticket_statuses(session, found),
                     type_label=REQUEST_TYPE_LABELS.get(found.type, found.type))
