"""Group robots, ``/oa/robots`` (``oa_bridge.connection.manage``): each robot's OA system,
where it posts (its key masked) and the notification kinds it posts ("won deals to the sales
group") — the list, add, change and delete behind a confirmation page. The webhook and the
signing secret are write-only. ``crm oa robot`` / ``crm oa route`` do the same from the shell.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import SelectChoice

from crm_core.toolkit import MenuItem, db, require_permission

from ..models import KIND_LABELS, OaRobot, OaRobotRoute
from ..permissions import CONNECTION_MANAGE
from . import services
from .forms import ConfirmForm, RobotForm, show_refusal

bp = Blueprint("oa_bridge_robots", __name__, template_folder="../templates",
               url_prefix="/oa/robots")


def _robot(oa_robot_id: int) -> OaRobot:
    robot = db.session.get(OaRobot, oa_robot_id)
    if robot is None:
        abort(404)
    return robot


@bp.get("/")
@require_permission(CONNECTION_MANAGE)
def index() -> Any:
    """Every robot with the kinds it posts."""
    labels = services.notification_kinds()
    routes: dict[int, list[str]] = {}
    for robot_id, kind in db.session.execute(select(
            OaRobotRoute.robot_id, OaRobotRoute.notification_kind)
            .order_by(OaRobotRoute.notification_kind)):
        routes.setdefault(robot_id, []).append(labels.get(kind, kind))
    robots = list(db.session.scalars(select(OaRobot).order_by(OaRobot.name)))
    return render_template("oa_bridge/robots.html", robots=robots, routes=routes,
                           kinds=KIND_LABELS,
                           hints={robot.id: services.robot_webhook_hint(robot)
                                  for robot in robots})


def _form_page(robot: OaRobot | None) -> Any:
    form = RobotForm(obj=robot)
    form.kinds.choices = [SelectChoice(name, f"{label} ({name})")
                          for name, label in services.notification_kinds().items()]
    if robot is not None and not form.is_submitted():
        form.kinds.data = services.robot_routes(db.session, robot)
    if form.validate_on_submit():
        if robot is None and not form.webhook.data:
            show_refusal(form, "webhook", _("Enter the robot's webhook address (or the "
                                            "WeCom robot key)."))
        else:
            try:
                saved = services.save_robot_page(
                    db.session, robot, form.name.data, form.kind.data, form.webhook.data,
                    form.secret.data, form.active.data, list(form.kinds.data or []))
            except services.FieldRefused as refused:
                db.session.rollback()
                show_refusal(form, refused.field, str(refused))
            else:
                db.session.commit()
                flash(_("Robot “%(name)s” saved.", name=saved.name), "success")
                return redirect(url_for("oa_bridge_robots.index"))
    form.webhook.data = form.secret.data = ""
    status = 400 if form.is_submitted() else 200
    return render_template("oa_bridge/robot_form.html", form=form, robot=robot), status


@bp.route("/new", methods=["GET", "POST"])
@require_permission(CONNECTION_MANAGE)
def new() -> Any:
    """Add a group robot."""
    return _form_page(None)


@bp.route("/<int:oa_robot_id>", methods=["GET", "POST"])
@require_permission(CONNECTION_MANAGE)
def edit(oa_robot_id: int) -> Any:
    """Change a robot and the kinds it posts."""
    return _form_page(_robot(oa_robot_id))


@bp.route("/<int:oa_robot_id>/delete", methods=["GET", "POST"])
@require_permission(CONNECTION_MANAGE)
def delete(oa_robot_id: int) -> Any:
    """Ask, then remove a robot and its routes (messages already queued are dropped)."""
    robot = _robot(oa_robot_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        for route in db.session.scalars(select(OaRobotRoute).where(
                OaRobotRoute.robot_id == robot.id)):
            db.session.delete(route)
        db.session.delete(robot)
        db.session.commit()
        flash(_("Robot “%(name)s” is removed.", name=robot.name), "success")
        return redirect(url_for("oa_bridge_robots.index"))
    question = _("Remove the robot “%(name)s”? Its group gets no more notifications.",
                 name=robot.name)
    return render_template("oa_bridge/confirm_delete.html", form=form, question=question,
                           back=url_for("oa_bridge_robots.index")), \
        400 if form.is_submitted() else 200


def blueprints() -> list[Blueprint]:
    """The group robots blueprint."""
    return [bp]


def menu_items() -> list[MenuItem]:
    """"OA group robots" for those who manage connections."""
    return [MenuItem("oa_bridge.robots", _l("OA group robots"), "oa_bridge_robots.index",
                     permission=CONNECTION_MANAGE, icon="robot", order=903)]
