"""The "Sales settings" page, ``/sales/settings`` (``sales.settings.manage``): the company
letterhead printed on quotes and orders, the number series, validity and reminder days.

A part (``PARTS``): offers its blueprint and a menu entry.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from crm_core.toolkit import MenuItem, db, require_permission

from ..permissions import SETTINGS_MANAGE
from . import values
from .forms import SalesSettingsForm

bp = Blueprint("sales_settings", __name__, template_folder="../templates",
               url_prefix="/sales")


@bp.route("/settings", methods=["GET", "POST"])
@require_permission(SETTINGS_MANAGE)
def settings() -> Any:
    """Show the settings; on a valid POST store them and say which changed."""
    form = SalesSettingsForm(data={key: values.get(key) for key in values.DEFAULTS})
    if form.validate_on_submit():
        changed = values.save(db.session, form.settings())
        db.session.commit()
        flash(_("Sales settings saved.") if changed else _("Nothing changed."), "success")
        return redirect(url_for("sales_settings.settings"))
    status = 400 if form.is_submitted() else 200
    return render_template("sales/settings/settings.html", form=form), status


def blueprints() -> list[Blueprint]:
    """The settings page's blueprint."""
    return [bp]


def menu_items() -> list[MenuItem]:
    """"Sales settings" for those who may change them."""
    return [MenuItem("sales.settings", _l("Sales settings"), "sales_settings.settings",
                     permission=SETTINGS_MANAGE, icon="gear", order=990)]
