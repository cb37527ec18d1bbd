"""User links, ``/oa/links`` (``oa_bridge.connection.manage``): who each CRM user is in each
OA — the list (with the primary and other OA departments the org sync found), add, change and
delete behind a confirmation page. ``crm oa link-user`` does the same from the shell.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from crm_core.toolkit import MenuItem, db, model_for_table, require_permission

from ..models import OaConnection, OaDeptLink, OaUserLink
from ..permissions import CONNECTION_MANAGE
from . import services
from .forms import ConfirmForm, LinkForm, connection_choices, show_refusal

bp = Blueprint("oa_bridge_links", __name__, template_folder="../templates",
               url_prefix="/oa/links")
SHOWN = 200


def _link(oa_link_id: int) -> OaUserLink:
    link = db.session.get(OaUserLink, oa_link_id)
    if link is None:
        abort(404)
    return link


def _department_names(rows: list[tuple[OaUserLink, Any, str]]) -> dict[tuple[int, str], str]:
    wanted = {(link.connection_id, dept) for link, _user, _name in rows
              for dept in [link.oa_dept_id, *filter(None, link.other_dept_ids.split(","))]
              if dept}
    if not wanted:
        return {}
    department = model_for_table("core_department")
    return {(connection_id, oa_id): name for connection_id, oa_id, name in db.session.execute(
        select(OaDeptLink.connection_id, OaDeptLink.oa_dept_id, department.name)
        .join(department, department.id == OaDeptLink.department_id)
        .where(OaDeptLink.oa_dept_id.in_({dept for _c, dept in wanted})))}


@bp.get("/")
@require_permission(CONNECTION_MANAGE)
def index() -> Any:
    """The links, searchable by user name or OA user id (the first 200 shown)."""
    user = model_for_table("core_user")
    text = request.args.get("q", "").strip()[:100]
    query = (select(OaUserLink, user, OaConnection.name)
             .join(user, user.id == OaUserLink.user_id)
             .join(OaConnection, OaConnection.id == OaUserLink.connection_id)
             .order_by(OaConnection.name, user.username).limit(SHOWN + 1))
    if text and "\x00" not in text:
        pattern = f"%{text.lower()}%"
        query = query.where(or_(func.lower(user.username).like(pattern),
                                func.lower(OaUserLink.oa_user_id).like(pattern)))
    rows = [tuple(row) for row in db.session.execute(query).all()]
    return render_template("oa_bridge/links.html", rows=rows[:SHOWN], more=len(rows) > SHOWN,
                           q=text, departments=_department_names(rows))


def _form_page(link: OaUserLink | None) -> Any:
    form = LinkForm(obj=link)
    form.connection_id.choices = connection_choices(db.session)
    if link is not None and not form.is_submitted():
        form.username.data = getattr(db.session.get(model_for_table("core_user"),
                                                    link.user_id), "username", "")
    if form.validate_on_submit():
        try:
            saved = services.save_link(db.session, link, form.connection_id.data,
                                       form.username.data, form.oa_user_id.data,
                                       form.oa_dept_id.data, form.mobile.data)
        except services.FieldRefused as refused:
            db.session.rollback()
            show_refusal(form, refused.field, str(refused))
        else:
            db.session.commit()
            flash(_("%(user)s is linked to %(oa)s.", user=form.username.data,
                    oa=saved.oa_user_id), "success")
            return redirect(url_for("oa_bridge_links.index"))
    status = 400 if form.is_submitted() else 200
    return render_template("oa_bridge/link_form.html", form=form, link=link), status


@bp.route("/new", methods=["GET", "POST"])
@require_permission(CONNECTION_MANAGE)
def new() -> Any:
    """Link a CRM user to their OA identity."""
    return _form_page(None)


@bp.route("/<int:oa_link_id>", methods=["GET", "POST"])
@require_permission(CONNECTION_MANAGE)
def edit(oa_link_id: int) -> Any:
    """Change a link."""
    return _form_page(_link(oa_link_id))


@bp.route("/<int:oa_link_id>/delete", methods=["GET", "POST"])
@require_permission(CONNECTION_MANAGE)
def delete(oa_link_id: int) -> Any:
    """Ask, then remove a link (the CRM user stays; approvals and notices stop reaching
    them in the OA)."""
    link = _link(oa_link_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        db.session.delete(link)
        db.session.commit()
        flash(_("The link is removed."), "success")
        return redirect(url_for("oa_bridge_links.index"))
    user = db.session.get(model_for_table("core_user"), link.user_id)
    question = _("Remove the link of %(user)s to OA user %(oa)s? Approvals and notices stop "
                 "reaching them in the OA.", user=getattr(user, "username", link.user_id),
                 oa=link.oa_user_id)
    return render_template("oa_bridge/confirm_delete.html", form=form, question=question,
                           back=url_for("oa_bridge_links.index")), \
        400 if form.is_submitted() else 200


def blueprints() -> list[Blueprint]:
    """The user links blueprint."""
    return [bp]


def menu_items() -> list[MenuItem]:
    """"OA user links" for those who manage connections."""
    return [MenuItem("oa_bridge.links", _l("OA user links"), "oa_bridge_links.index",
                     permission=CONNECTION_MANAGE, icon="people", order=901)]
