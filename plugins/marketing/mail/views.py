"""The e-mail pages of a campaign: the editor with a live preview, a test send to yourself,
sending (with a confirmation and an optional A/B test) and picking the A/B winner; the
E-mail panel on the campaign's page shows the send's progress.

``/marketing/campaigns/<id>/mail`` edits the subject and HTML (refused with the line of a
syntax error or an unknown merge field); its preview (``…/mail/preview``, htmx) renders the
mail server-side for a sample recipient into a sandboxed iframe. ``…/mail/test`` mails it to
the signed-in user. ``…/send`` asks to confirm and sends. A part of the marketing plugin.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional

from crm_core.toolkit import (
    DomainError,
    Permission,
    get_scoped_or_404,
    get_session,
    require_permission,
    send_mail,
)

from .. import audience, campaigns
from ..models import Campaign
from . import ab, links, render, sending
from .api import send_status, start
from .models import MailSend

VIEW, EDIT = "marketing.campaign.view", "marketing.campaign.edit"
SEND = "marketing.campaign.send"
PAGE = "/marketing/campaigns/<int:campaign_id>"

bp = Blueprint("marketing_mail_pages", __name__)


def N_(message: str) -> str:
    """Mark ``message`` for translation (the permissions page translates it)."""
    return message


def permissions() -> list[Permission]:
    """Sending a campaign's e-mail."""
    return [Permission(SEND, N_("Send campaign e-mail"), N_("Marketing"))]


class MailForm(FlaskForm):
    """A campaign's e-mail: subject and HTML body with merge fields."""

    subject = StringField(_l("Subject"), validators=[Length(max=200)],
                          render_kw={"maxlength": 200})
    html = TextAreaField(_l("HTML body"), validators=[Length(max=500_000)],
                         render_kw={"rows": 18, "spellcheck": "false",
                                    "class": "font-monospace"})


class SendForm(FlaskForm):
    """Sending: optionally an A/B test of a second subject over a sample."""

    subject_b = StringField(_l("Subject B (leave empty for no A/B test)"),
                            validators=[Optional(), Length(max=200)],
                            render_kw={"maxlength": 200})
    sample_percent = IntegerField(_l("Sample (percent of the audience)"), default=20,
                                  validators=[Optional(), NumberRange(2, 100)])
    metric = SelectField(_l("The winner has more"), default="opens", choices=[
        SelectChoice("opens", _l("Opens")), SelectChoice("clicks", _l("Clicks"))])


def _campaign(campaign_id: int) -> Campaign:
    return get_scoped_or_404(Campaign, campaign_id, live_only=True)


def _back(campaign_id: int) -> Response:
    return redirect(url_for("marketing_campaigns.detail", campaign_id=campaign_id))


def _merge_fields() -> list[tuple[str, Any]]:
    return list(render.MERGE_FIELDS.items())


@bp.route(f"{PAGE}/mail", methods=["GET", "POST"])
@require_permission(EDIT)
def edit_mail(campaign_id: int) -> Any:
    """Edit the campaign's subject and HTML body."""
    session = get_session()
    campaign = _campaign(campaign_id)
    if session.get(MailSend, campaign.id) is not None:  # what was sent stays as it was
        flash(_("This campaign has been sent already."), "warning")
        return _back(campaign_id)
    form = MailForm(obj=campaign)
    if form.validate_on_submit():
        try:
            campaigns.update_campaign(session, campaign, {"subject": form.subject.data or "",
                                                          "html": form.html.data or ""},
                                      current_user)
        except DomainError as error:
            session.rollback()
            field = getattr(error, "field", None)
            target = form[field] if field in ("subject", "html") else form.html
            target.errors = [*target.errors, str(error)]
        else:
            session.commit()
            flash(_("The e-mail is saved."), "success")
            return _back(campaign_id)
    return render_template("marketing/mail/edit.html", form=form, campaign=campaign,
                           fields=_merge_fields()), 422 if form.errors else 200


def _sample(session: Any, campaign: Campaign) -> dict[str, str]:
    return render.sample_context(campaign_name=campaign.name,
                                 email=getattr(current_user, "email", "") or "",
                                 contact_name=getattr(current_user, "display_name", "") or "")


@bp.post(f"{PAGE}/mail/preview")
@require_permission(VIEW)
def preview(campaign_id: int) -> Any:
    """The mail rendered for a sample recipient (an htmx fragment: a sandboxed iframe)."""
    session = get_session()
    campaign = _campaign(campaign_id)
    subject = request.form.get("subject", campaign.subject)[:200]
    html = request.form.get("html", campaign.html)[:500_000]
    try:
        compiled = render.compile_mail(subject, html)
        title, body, text = render.render(compiled, _sample(session, campaign))
    except render.TemplateError as error:
        return render_template("marketing/mail/_preview.html", error=str(error),
                               field=error.field)
    return render_template("marketing/mail/_preview.html", error=None, subject=title,
                           html=body, text=text)


@bp.post(f"{PAGE}/mail/test")
@require_permission(EDIT)
def test_send(campaign_id: int) -> Response:
    """Mail the campaign's e-mail to the signed-in user (subject marked as a test)."""
    session = get_session()
    campaign = _campaign(campaign_id)
    to = (getattr(current_user, "email", "") or "").strip()
    if not to:
        flash(_("Your account has no e-mail address to send the test to."), "danger")
        return _back(campaign_id)
    try:
        compiled = render.compile_mail(campaign.subject, campaign.html)
        title, html, text = render.render(compiled, _sample(session, campaign))
        send_mail(to, f"[{_('Test')}] {title}"[:200], text, html,
                  f"marketing-test:{campaign.id}:{uuid.uuid4().hex}",
                  headers=links.unsubscribe_headers(f"{links.site_base()}{links.PATH}test"))
    except DomainError as error:
        session.rollback()
        flash(str(error), "danger")
        return _back(campaign_id)
    session.commit()
    flash(_("A test mail is on its way to %(email)s.", email=to), "success")
    return _back(campaign_id)


@bp.route(f"{PAGE}/send", methods=["GET", "POST"])
@require_permission(SEND)
def send_page(campaign_id: int) -> Any:
    """Confirm and send the campaign (optionally as an A/B test of two subjects)."""
    session = get_session()
    campaign = _campaign(campaign_id)
    form = SendForm()
    if form.validate_on_submit():
        values = None
        if (form.subject_b.data or "").strip():
            values = {"subject_b": form.subject_b.data, "metric": form.metric.data,
                      "sample_percent": form.sample_percent.data or 20}
        try:
            send = start(session, campaign, current_user, values)
        except DomainError as error:
            session.rollback()
            field = getattr(error, "field", None)
            if field in ("subject_b", "sample_percent", "metric"):
                form[field].errors = [*form[field].errors, str(error)]
            else:
                flash(str(error), "danger")
                return _back(campaign_id)
        else:
            if send.job_id:
                return redirect(url_for("core_jobs.job_page", job_id=send.job_id))
            flash(_("Sending: %(n)d mails are queued.", n=send.queued), "success")
            return _back(campaign_id)
    counts = _counts(session, campaign)
    return render_template("marketing/mail/send.html", form=form, campaign=campaign,
                           counts=counts), 422 if form.errors else 200


def _counts(session: Any, campaign: Campaign) -> dict[str, Any] | None:
    try:
        return audience.preview(session, campaign, current_user)
    except (DomainError, ValueError):
        return None


@bp.post(f"{PAGE}/send/winner")
@require_permission(SEND)
def winner_page(campaign_id: int) -> Response:
    """Pick the A/B winner now and send it to the rest."""
    session = get_session()
    _campaign(campaign_id)
    send = session.get(MailSend, campaign_id)
    try:
        if send is None:
            raise sending.SendError(None, _("There is no A/B test waiting for its winner."))
        letter = ab.pick_winner(session, send, current_user)
    except DomainError as error:
        session.rollback()
        flash(str(error), "danger")
        return _back(campaign_id)
    session.commit()
    job_id = ab.queue_rest(send, current_user.id)
    if job_id:
        send.job_id = job_id
        session.commit()
        return redirect(url_for("core_jobs.job_page", job_id=job_id))
    flash(_("Subject %(letter)s won; the rest of the audience is being sent it.",
            letter=letter), "success")
    return _back(campaign_id)


def panel_context(campaign: Campaign) -> dict[str, Any]:
    """The E-mail panel: the send's state and counts (None before sending)."""
    session = get_session()
    send = session.get(MailSend, campaign.id)
    return {"send": send_status(session, send) if send is not None else None,
            "sendable": campaign.state in sending.SENDABLE and send is None}


def blueprints() -> list[Blueprint]:
    """The e-mail pages."""
    return [bp]
