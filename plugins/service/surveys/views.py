"""The public survey page, ``/service/survey/<survey_token>`` (a part: ``blueprints()``).

No sign-in: the signed token in the mail's link is the only way in. ``GET`` shows the form
(1–5 stars, resolved yes/no, a comment) in the survey's language, or ``?lang=zh_CN|en``;
``POST`` stores the answer and goes to the thank-you page (the same URL, answered). A link
answered already shows the thank-you page (200), a second answer is refused with it (409);
a forged link, or one whose ticket is gone, is a friendly 404 page, an expired or replaced
one a friendly 410 page, too many tries from one address a 429 page with ``Retry-After``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from crm_core.toolkit import LinkExpired, LinkInvalid, get_session, over_budget, public

from ..models import Survey, Ticket
from .forms import SurveyForm
from .services import AlreadyAnswered, answer_survey, open_survey

bp = Blueprint("service_surveys", __name__, template_folder="../templates")

#: tries of the page (reads and answers) per visitor address
BUDGET = "30 per minute"
LANGUAGES = {"zh_CN": "中文", "en": "English"}


def blueprints() -> list[Blueprint]:
    """The survey page's blueprint."""
    return [bp]


def _chosen_language(default: str | None = None) -> str:
    """``?lang=`` when it names a language, else ``default``, else the request's own."""
    wanted = {"zh": "zh_CN", "zh_CN": "zh_CN", "zh-CN": "zh_CN", "en": "en"}.get(
        request.args.get("lang", ""))
    return wanted or default or ("zh_CN" if str(get_locale()).startswith("zh") else "en")


def _notice(kind: str, status: int, language: str, **more: Any) -> tuple[str, int]:
    """A friendly page instead of an error: ``answered``, ``invalid``, ``closed``, ``busy``."""
    more.setdefault("links", {code: f"{request.path}?lang={code}" for code in LANGUAGES})
    with force_locale(language):
        texts = {
            "answered": (_("Thank you!"),
                         _("Your answer has been recorded. It helps us serve you better.")),
            "twice": (_("Already answered"),
                      _("This survey was answered already. Thank you!")),
            "invalid": (_("This link does not work"),
                        _("The survey link is not valid. Please use the link from the "
                          "e-mail exactly as it came.")),
            "closed": (_("This survey has closed"),
                       _("The link has expired or a newer survey replaced it. Thank you "
                         "all the same!")),
            "busy": (_("Too many tries"), _("Please wait a minute and try again.")),
        }
        heading, text = texts[kind]
        page = render_template("service/surveys/notice.html", heading=heading, text=text,
                               kind=kind, language=language, languages=LANGUAGES, **more)
    return page, status


@bp.route("/service/survey/<survey_token>", methods=["GET", "POST"])
@public
def survey(survey_token: str) -> Any:
    """The survey: its form, or the page saying why it cannot be answered."""
    wait = over_budget("service.survey", request.remote_addr or "-", BUDGET)
    if wait is not None:
        page, status = _notice("busy", 429, _chosen_language())
        return Response(page, status, {"Retry-After": str(wait)}, mimetype="text/html")
    session = get_session()
    try:
        record = open_survey(session, survey_token)
    except LinkExpired:
        return _notice("closed", 410, _chosen_language())
    except LinkInvalid:
        return _notice("invalid", 404, _chosen_language())
    language = _chosen_language(record.language)
    links = {code: url_for(".survey", survey_token=survey_token, lang=code)
             for code in LANGUAGES}
    if record.answered_at is not None:
        if request.method == "POST":
            return _notice("twice", 409, language, links=links)
        return _notice("answered", 200, language, links=links)
    with force_locale(language):
        form = SurveyForm()
        if form.validate_on_submit():
            return _answer(session, record, form, survey_token, language, links)
        page = render_template("service/surveys/survey.html", form=form, language=language,
                               languages=LANGUAGES, links=links, action=links[language],
                               ticket=session.get(Ticket, record.ticket_id))
    return page, (400 if form.errors else 200)


def _answer(session: Any, record: Survey, form: SurveyForm, token: str, language: str,
            links: dict[str, str]) -> Any:
    resolved = {"yes": True, "no": False}.get(form.resolved.data or "")
    try:
        answer_survey(session, record, int(form.stars.data), resolved, form.comment.data or "")
        session.commit()
    except (AlreadyAnswered, StaleDataError):
        session.rollback()  # another answer came first: this one is the second
        return _notice("twice", 409, language, links=links)
    return redirect(url_for(".survey", survey_token=token, lang=language))
