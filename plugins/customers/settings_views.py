"""The "Customer settings" page: customer types, tags and amount bands, and the counts'
"Refresh now" button.

One page (``GET /customers/settings?tab=types|tags|bands``) with a tab per table; every
change is a small POST form that redirects back to its tab, or shows the page again with
the error beside the field (status 400). Types and bands need ``customers.type.manage``,
tags ``customers.tag.manage``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.widgets import ColorInput

from crm_core.toolkit import db, require_permission, start_job

from . import classification, taxonomy
from .blueprint import bp
from .plugin import N_
from .validation import FieldError

TYPE_MANAGE = "customers.type.manage"
TAG_MANAGE = "customers.tag.manage"
TABS = ("types", "tags", "bands")


class TypeForm(FlaskForm):
    """Add or rename a customer type."""

    name = StringField(_l("Name"))


class TagForm(FlaskForm):
    """Add a tag, or rename and recolour one."""

    name = StringField(_l("Name"))
    colour = StringField(_l("Colour"), widget=ColorInput(), default="#6c757d")


class BandForm(FlaskForm):
    """Add or change an amount band."""

    name = StringField(_l("Name"))
    threshold = StringField(_l("From amount"))


class MoveForm(FlaskForm):
    """Move a type up or down."""

    direction = StringField()


class ConfirmForm(FlaskForm):
    """A button that only needs the CSRF token (delete, refresh)."""


def _refreshed_text() -> str:
    moment = classification.last_refreshed(db.session)
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else ""


def _render(tab: str, status: int = 200, *, add: FlaskForm | None = None,
            row: tuple[str, FlaskForm] | None = None) -> Any:
    """The settings page on ``tab``; ``add`` is that tab's add form (with its errors),
    ``row`` an inline form that failed, by its row key ("type-3")."""
    can_types = current_user.has_permission(TYPE_MANAGE)
    can_tags = current_user.has_permission(TAG_MANAGE)
    context: dict[str, Any] = {"tab": tab, "can_types": can_types, "can_tags": can_tags,
                               "refreshed": _refreshed_text(), "row": row}
    if tab == "types" and can_types:
        usage = taxonomy.type_usage(db.session)
        context["types"] = [(kind, usage.get(kind.id, 0))
                            for kind in taxonomy.list_types(db.session)]
        context["add"] = add or TypeForm(formdata=None)
    elif tab == "tags" and can_tags:
        usage = taxonomy.tag_usage(db.session)
        context["tags"] = [(tag, usage.get(tag.id, 0)) for tag in taxonomy.list_tags(db.session)]
        context["add"] = add or TagForm(formdata=None)
    elif tab == "bands" and can_types:
        context["ranges"] = taxonomy.band_ranges(taxonomy.list_bands(db.session))
        context["format_amount"] = taxonomy.format_amount
        context["plain_amount"] = taxonomy.plain_amount
        context["add"] = add or BandForm(formdata=None)
    return render_template("customers/settings.html", **context), status


@bp.get("/settings")
@require_permission(TYPE_MANAGE)
def settings() -> Any:
    """The settings page; ``?tab=types|tags|bands``."""
    tab = request.args.get("tab", "types")
    return _render(tab if tab in TABS else "types")


def _submit(tab: str, form: FlaskForm, action: Callable[[], str], *,
            row_key: str | None = None) -> Any:
    """Run ``action`` (it returns the success message) when the form is valid; on a
    FieldError show the page again with the error under the field it names."""
    if form.validate_on_submit():
        try:
            message = action()
        except taxonomy.NotFound:
            db.session.rollback()
            abort(404)
        except FieldError as error:
            db.session.rollback()
            field = getattr(form, error.field, None) or getattr(form, "name", None)
            if field is not None:
                field.errors = [*field.errors, str(error)]
        else:
            db.session.commit()
            flash(message, "success")
            return redirect(url_for("customers.settings", tab=tab))
    if getattr(form, "csrf_token", None) is not None and form.csrf_token.errors:
        flash(_("The form had expired. Please try again."), "error")
    return _render(tab, 400, add=None if row_key else form,
                   row=(row_key, form) if row_key else None)


# ---------------------------------------------------------------------------- types


@bp.post("/settings/types")
@require_permission(TYPE_MANAGE)
def settings_type_add() -> Any:
    """Add a customer type."""
    form = TypeForm()

    def add() -> str:
        kind = taxonomy.create_type(db.session, form.name.data or "")
        return _("Customer type %(name)s added.", name=kind.name)

    return _submit("types", form, add)


@bp.post("/settings/types/<int:type_id>")
@require_permission(TYPE_MANAGE)
def settings_type_rename(type_id: int) -> Any:
    """Rename a customer type."""
    form = TypeForm()

    def rename() -> str:
        kind = taxonomy.rename_type(db.session, type_id, form.name.data or "")
        return _("Customer type renamed to %(name)s.", name=kind.name)

    return _submit("types", form, rename, row_key=f"type-{type_id}")


@bp.post("/settings/types/<int:type_id>/move")
@require_permission(TYPE_MANAGE)
def settings_type_move(type_id: int) -> Any:
    """Move a customer type one place up or down."""
    form = MoveForm()

    def move() -> str:
        taxonomy.move_type(db.session, type_id, -1 if form.direction.data == "up" else 1)
        return _("Order saved.")

    return _submit("types", form, move, row_key=f"type-{type_id}")


@bp.post("/settings/types/<int:type_id>/delete")
@require_permission(TYPE_MANAGE)
def settings_type_delete(type_id: int) -> Any:
    """Delete a customer type (its customers are kept, without a type)."""
    form = ConfirmForm()

    def remove() -> str:
        used = taxonomy.delete_type(db.session, type_id)
        return ngettext("Customer type deleted; %(num)d customer now has no type.",
                        "Customer type deleted; %(num)d customers now have no type.", used)

    return _submit("types", form, remove, row_key=f"type-{type_id}")


# ---------------------------------------------------------------------------- tags


@bp.post("/settings/tags")
@require_permission(TAG_MANAGE)
def settings_tag_add() -> Any:
    """Add a tag with a colour."""
    form = TagForm()

    def add() -> str:
        tag = taxonomy.create_tag(db.session, form.name.data or "", form.colour.data or "")
        return _("Tag %(name)s added.", name=tag.name)

    return _submit("tags", form, add)


@bp.post("/settings/tags/<int:tag_id>")
@require_permission(TAG_MANAGE)
def settings_tag_update(tag_id: int) -> Any:
    """Rename and recolour a tag."""
    form = TagForm()

    def update() -> str:
        tag = taxonomy.update_tag(db.session, tag_id, name=form.name.data or "",
                                  colour=form.colour.data or "")
        return _("Tag %(name)s saved.", name=tag.name)

    return _submit("tags", form, update, row_key=f"tag-{tag_id}")


@bp.post("/settings/tags/<int:tag_id>/delete")
@require_permission(TAG_MANAGE)
def settings_tag_delete(tag_id: int) -> Any:
    """Delete a tag and take it off its customers."""
    form = ConfirmForm()

    def remove() -> str:
        used = taxonomy.delete_tag(db.session, tag_id)
        return ngettext("Tag deleted and taken off %(num)d customer.",
                        "Tag deleted and taken off %(num)d customers.", used)

    return _submit("tags", form, remove, row_key=f"tag-{tag_id}")


# ---------------------------------------------------------------------------- bands


@bp.post("/settings/bands")
@require_permission(TYPE_MANAGE)
def settings_band_add() -> Any:
    """Add an amount band."""
    form = BandForm()

    def add() -> str:
        band = taxonomy.create_band(db.session, form.name.data or "",
                                    form.threshold.data or "")
        return _("Amount band %(name)s added.", name=band.name)

    return _submit("bands", form, add)


@bp.post("/settings/bands/<int:band_id>")
@require_permission(TYPE_MANAGE)
def settings_band_update(band_id: int) -> Any:
    """Change an amount band's name and threshold."""
    form = BandForm()

    def update() -> str:
        band = taxonomy.update_band(db.session, band_id, form.name.data or "",
                                    form.threshold.data or "")
        return _("Amount band %(name)s saved.", name=band.name)

    return _submit("bands", form, update, row_key=f"band-{band_id}")


@bp.post("/settings/bands/<int:band_id>/delete")
@require_permission(TYPE_MANAGE)
def settings_band_delete(band_id: int) -> Any:
    """Delete an amount band."""
    form = ConfirmForm()

    def remove() -> str:
        taxonomy.delete_band(db.session, band_id)
        return _("Amount band deleted.")

    return _submit("bands", form, remove, row_key=f"band-{band_id}")


# ---------------------------------------------------------------------------- refresh


@bp.post("/settings/refresh")
@require_permission(TYPE_MANAGE)
def settings_refresh() -> Any:
    """Recount the customers for the dashboard now, as a job the user can watch."""
    if not ConfirmForm().validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
        return redirect(url_for("customers.settings"))
    job = start_job("customers.refresh_stats_now", kind=N_("Refresh customer counts"),
                    owner_id=current_user.id)
    return redirect(url_for("core_jobs.job_page", job_id=job.id))
