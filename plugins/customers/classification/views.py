"""The "Customer settings" page: the way to the lists an administrator keeps (customer
types, tags, amount bands — kernel Resources declared in ``settings_resources``) with how
many each holds, and the dashboard counts' "Refresh now" button.

``GET /customers/settings`` and ``POST /customers/settings/refresh`` need
``customers.type.manage``; each list links only for a user who may open it.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select

from crm_core.toolkit import db, require_permission, start_job

from ..blueprint import bp
from ..permissions import N_
from . import services as classification
from .resources import BANDS, TAGS, TYPES

TYPE_MANAGE = "customers.type.manage"


@bp.get("/settings")
@require_permission(TYPE_MANAGE)
def settings() -> Any:
    """The settings page: each list with its size, and when the counts were refreshed."""
    lists = [(resource, db.session.scalar(select(func.count()).select_from(resource.model)))
             for resource in (TYPES, TAGS, BANDS)
             if current_user.has_permission(resource.permission("view"))]
    moment = classification.last_refreshed(db.session)
    return render_template("customers/settings.html", lists=lists,
                           refreshed=moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "")


@bp.post("/settings/refresh")
@require_permission(TYPE_MANAGE)
def settings_refresh() -> Any:
    """Recount the customers for the dashboard now, as a job the user can watch."""
    if not FlaskForm().validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
        return redirect(url_for("customers.settings"))
    job = start_job("customers.refresh_stats_now", kind=N_("Refresh customer counts"),
                    owner_id=current_user.id)
    return redirect(url_for("core_jobs.job_page", job_id=job.id))
