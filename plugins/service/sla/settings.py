"""The "Service level settings" page, ``/service/sla_settings`` (``service.sla.manage``):
how many days after resolving a ticket may be reopened (``service.reopen_days``; the daily
beat closes resolved tickets after as many days). The company days off are a list of their
own (``sla.days_off``), linked from here. A part: ``blueprints()``, ``menu_items()``; the
blueprint also gives templates ``service_reopen_window(ticket)`` (``clocks.reopen_window``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange

from crm_core.toolkit import MenuItem, db, require_permission, set_setting

from ..permissions import SLA_MANAGE
from .clocks import REOPEN_MAX, REOPEN_SETTING, reopen_days, reopen_window

bp = Blueprint("service_sla_settings", __name__, template_folder="../templates",
               url_prefix="/service")


class SlaSettingsForm(FlaskForm):
    """The service level settings (WTForms, CSRF)."""

    reopen_days = IntegerField(
        _l("Reopen within (days)"), validators=[InputRequired(), NumberRange(1, REOPEN_MAX)],
        description=_l("A resolved ticket may be reopened this many days after it was "
                       "resolved; after that the customer enters a new request, and the "
                       "ticket is closed automatically."))


@bp.route("/sla_settings", methods=["GET", "POST"])
@require_permission(SLA_MANAGE)
def settings() -> Any:
    """Show the settings; on a valid POST store them."""
    form = SlaSettingsForm(data={"reopen_days": reopen_days()})
    if form.validate_on_submit():
        changed = form.reopen_days.data != reopen_days()
        if changed:
            set_setting(db.session, REOPEN_SETTING, form.reopen_days.data)
            db.session.commit()
        flash(_("Service level settings saved.") if changed else _("Nothing changed."),
              "success")
        return redirect(url_for("service_sla_settings.settings"))
    status = 400 if form.is_submitted() else 200
    return render_template("service/sla/settings.html", form=form), status


@bp.app_context_processor
def _reopen_window() -> dict[str, Any]:
    # the ticket page's state panel hides Reopen once the window has passed
    return {"service_reopen_window": reopen_window}


def blueprints() -> list[Blueprint]:
    """The settings page's blueprint."""
    return [bp]


def menu_items() -> list[MenuItem]:
    """"Service level settings" under the teams, for those who keep the SLA."""
    return [MenuItem("service.sla_settings", _l("Service level settings"),
                     "service_sla_settings.settings", permission=SLA_MANAGE, icon="gear",
                     order=406, parent="service.teams")]
