"""The generated list pages of a resource: the list (filters, quick search, sorts, column
chooser, keyset pages, saved views), its count (loaded by htmx after the page), the export
job, bulk actions and saving views.

Every read goes through ``query.statement`` (the user's data scope); every route is
guarded with the permission the declaration names for its action.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from ..auth.permissions import require_permission
from ..custom_fields import listing as custom_list
from ..custom_fields.records import custom_args
from ..db import get_session
from ..errors import DomainError
from ..jobs.service import start_job
from ..tabular import FORMATS
from . import query, saved_views
from .declaration import BulkAction, Resource
from .display import column_cell
from .relations import Options, relation_options

SELECTION_MAX = 500


def kept_args(resource: Resource, args: Mapping[str, Any]) -> dict[str, str]:
    """The query arguments that say what is listed (filters, search, sort, columns)."""
    names = (*saved_views.KEPT, *query.filter_args(resource))
    kept = {name: str(args[name]) for name in names if args.get(name)}
    kept.update(custom_args(args))  # ?custom.<key>= filters of custom fields
    if kept.get(query.PRESET_ARG, "").isdigit():  # a saved view's id, not a preset
        kept.pop(query.PRESET_ARG)
    return kept


def chosen_columns(resource: Resource, args: Mapping[str, Any]) -> list[str]:
    """The columns of ``?cols=a,b`` that exist, else the declared list columns."""
    allowed = resource.column_names()
    ticked = args.getlist("col") if hasattr(args, "getlist") else []
    raw = ticked or str(args.get("cols") or "").split(",")
    chosen = [name for name in allowed if name in raw]
    return chosen or resource.list_columns()


def _args(resource: Resource) -> tuple[MultiDict, Any]:
    """The request's arguments, with a chosen saved view's in place of the kept ones; with
    neither a saved view nor a preset chosen, the resource's default preset."""
    args = MultiDict(request.args)
    raw = args.get("view", "")
    if not raw:
        default = resource.default_preset
        default = default(current_user) if callable(default) else default
        if default:
            args[query.PRESET_ARG] = default
        return args, None
    if resource.presets and not raw.isdigit():  # a preset's name, checked as a filter
        return args, None
    view = saved_views.get_view(get_session(), resource.key,
                                int(raw) if raw.isdigit() and len(raw) < 11 else 0,
                                current_user)
    for name in kept_args(resource, args):
        args.poplist(name)
    args.update(view.args or {})
    return args, view


def _preset_sort(resource: Resource, values: Mapping[str, Any]) -> str | None:
    preset = resource.preset(values.get(query.PRESET_ARG))
    return preset.sort if preset else None


def _bulk_actions(resource: Resource) -> list[BulkAction]:
    actions = list(resource.bulk_actions)
    if resource.offers("delete"):
        actions.insert(0, BulkAction("delete", _("Delete"),
                                     partial(_delete_many, resource=resource), "delete"))
    return actions


def _delete_many(session: Any, records: list[Any], user: Any, resource: Resource) -> int:
    from .writes import delete_record

    for record in records:
        delete_record(session, resource, record, user)
    return len(records)


def _filter_options(session: Any, resource: Resource) -> dict[str, list[tuple[Any, Any]]]:
    """The choices of each select filter (one statement per relation or tag filter)."""
    options: dict[str, list[tuple[Any, Any]]] = {}
    for item in resource.filters:
        if item.kind == "choice":
            options[item.name] = list(resource.field(item.name).choices or ())
        elif item.options is not None:
            options[item.name] = list(item.options(session))
        elif item.kind == "relation":  # bounded, in the user's scope, the chosen one kept
            current = query._id(str(request.args.get(item.name) or ""))
            options[item.name] = Options(*relation_options(
                session, resource.field(item.name), current_user, current))
    return options


class PageCells:
    """``cell(resource, record, name, names)`` for one page: each column's declaration is
    looked up once, not once per row."""

    def __init__(self) -> None:
        self._columns: dict[tuple[int, str, bool], Any] = {}

    def __call__(self, resource: Resource, record: Any, name: str,
                 names: Mapping[str, Mapping[Any, str]] | None = None, *,
                 html: bool = True) -> str:
        key = (id(resource), name, html)  # the page holds its resources: ids stay theirs
        show = self._columns.get(key)
        if show is None:
            show = self._columns[key] = column_cell(resource, name, html=html)
        return show(record, names)


def record_urls(endpoint: str, id_arg: str) -> Any:
    """``url(record_id)``: ``url_for(endpoint, <id_arg>=record_id)`` built once for a page's
    rows, each integer id then set into it."""
    sample, parts = 987654321987, []

    def url(record_id: Any) -> str:
        if type(record_id) is not int or record_id < 0:
            return url_for(endpoint, **{id_arg: record_id})
        if not parts:  # on first use: a page without links needs no such route
            parts.extend(url_for(endpoint, **{id_arg: sample}).partition(str(sample)))
        head, found, tail = parts
        return f"{head}{record_id}{tail}" if found else url_for(endpoint, **{id_arg: record_id})
    return url


def _allowed(resource: Resource, action: BulkAction) -> bool:
    return current_user.has_permission(resource.permission(action.permission))


def add_routes(bp: Blueprint, resource: Resource) -> None:
    """Add the list, count, export, bulk and saved-view routes of ``resource`` to ``bp``."""
    view_perm = resource.permission("view")

    def list_page():  # type: ignore[no-untyped-def]
        """The user's records, filtered, searched and sorted, one keyset page."""
        args, view = _args(resource)
        session, status, errors = get_session(), 200, {}
        try:
            values = query.parse_filters(resource, args)
        except query.FilterErrors as exc:
            values, errors, status = {}, exc.errors, 400
        columns = chosen_columns(resource, args)
        custom = custom_list.chosen_fields(resource, args)  # col=custom.<key>
        refused = query.sort_error(resource, args.get("sort"), current_user)
        if refused:  # the default order instead, and why
            flash(refused, "warning")
        search = str(args.get("q") or "")[:query.SEARCH_MAX]
        page = query.list_page(session, resource, current_user, values=values, query=search,
                               sort=args.get("sort"), cursor=request.args.get("cursor"),
                               before=request.args.get("before"))
        rows = [] if errors else list(page.items)
        kept = kept_args(resource, args)
        kept.pop("cols", None)
        custom_names = [f"custom.{item.key}" for item in custom]
        if columns != resource.list_columns() or custom_names != [
                f"custom.{key}" for key, _label in custom_list.custom_columns_of(resource)]:
            kept["cols"] = ",".join([*columns, *custom_names])
        return render_template(
            resource.template("list"), resource=resource, rows=rows, columns=columns,
            names=query.related_names(session, resource, rows, columns), cell=PageCells(),
            detail_url=record_urls(f"{resource.endpoint}.detail", resource.id_arg),
            next_cursor=None if errors else page.next_cursor, kept=kept,
            prev_cursor=None if errors else page.prev_cursor,
            qs=urlencode(kept), errors=errors, args=args, view=view,
            sort=query.sort_of(resource, args.get("sort") or _preset_sort(resource, values),
                               current_user),
            custom_columns=custom_list.custom_columns_of(resource, custom),
            custom_cells=custom_list.custom_cells_of(resource, rows, custom),
            custom_column_choices=custom_list.custom_column_choices_of(resource),
            custom_sorts=custom_list.custom_sorts_of(resource),
            preset=values.get(query.PRESET_ARG, query.ALL_PRESETS),
            first=not (request.args.get("cursor") or request.args.get("before")),
            views=saved_views.list_views(session, resource.key, current_user),
            bulk_actions=[action for action in _bulk_actions(resource)
                          if _allowed(resource, action)],
            formats=FORMATS, options=_filter_options(session, resource)), status

    def count():  # type: ignore[no-untyped-def]
        """How many records the list holds (exact when small, else bounded or estimated)."""
        args, _view = _args(resource)
        try:
            values = query.parse_filters(resource, args)
        except query.FilterErrors:
            return "", 400
        found = query.statement(resource, current_user, values, str(args.get("q") or ""))
        # ?tab=1: a preset tab's badge, the bare number
        return render_template("core/resources/_preset_count.html" if args.get("tab") else
                               "core/resources/_count.html", resource=resource,
                               count=query.count(get_session(), found))

    def export():  # type: ignore[no-untyped-def]
        """Export what the list shows (within the user's scope) as a job; show its page."""
        fmt = request.form.get("format", "csv")
        if fmt not in FORMATS:
            abort(400)
        args = MultiDict(dict(request.form.items()))
        try:
            query.parse_filters(resource, args)
        except query.FilterErrors:
            abort(400)
        job = start_job(f"{resource.plugin}.{resource.export_task}", owner_id=current_user.id,
                        kind=f"Export {resource.name}", fmt=fmt,
                        args=kept_args(resource, args))
        return redirect(url_for("core_jobs.job_page", job_id=job.id))

    def bulk():  # type: ignore[no-untyped-def]
        """A bulk action on the ticked records: a confirmation naming how many, then the
        action."""
        actions = {action.name: action for action in _bulk_actions(resource)}
        if not any(_allowed(resource, action) for action in actions.values()):
            abort(403)
        action = actions.get(request.form.get("action", ""))
        qs = request.form.get("qs", "")
        back = url_for(".list") + (f"?{qs}" if qs else "")
        if action is None:
            flash(_("Choose a bulk action."), "error")
            return redirect(back)
        if not _allowed(resource, action):
            abort(403)
        ids = sorted({int(value) for value in request.form.getlist("ids")
                      if value.isdigit() and len(value) < 11})[:SELECTION_MAX]
        session = get_session()
        records = list(session.scalars(query.statement(resource, current_user).where(
            resource.model.id.in_(ids)))) if ids else []
        if not records:
            flash(_("Tick at least one record."), "error")
            return redirect(back)
        if request.form.get("step") != "run":
            return render_template("core/resources/bulk_confirm.html", resource=resource,
                                   action=action, records=records, qs=qs)
        try:
            changed = action.run(session, records, current_user)
        except DomainError as exc:
            session.rollback()
            flash(str(exc), "error")
            return redirect(back)
        session.commit()
        flash(ngettext("%(num)d record changed.", "%(num)d records changed.", changed),
              "success")
        return redirect(back)

    def views_save():  # type: ignore[no-untyped-def]
        """Save the list's filters, search, sort and columns as a named view of the user's
        (shared with everyone: needs the resource's edit permission)."""
        shared = bool(request.form.get("shared"))
        if shared and not current_user.has_permission(resource.permission("edit")):
            abort(403)
        args = kept_args(resource, request.form)
        try:
            query.parse_filters(resource, args)
            view = saved_views.save_view(get_session(), resource.key, current_user,
                                         request.form.get("name", ""), args, shared)
        except query.FilterErrors:
            abort(400)
        except DomainError as exc:
            flash(_("View not saved: %(reason)s", reason=str(exc)), "error")
            return redirect(url_for(".list", **args))
        get_session().commit()
        flash(_("View “%(name)s” saved.", name=view.name), "success")
        return redirect(url_for(".list", view=view.id))

    def views_delete():  # type: ignore[no-untyped-def]
        """Delete one of the user's own saved views."""
        raw = request.form.get("view", "")
        name = saved_views.delete_view(get_session(), resource.key,
                                       int(raw) if raw.isdigit() and len(raw) < 11 else 0,
                                       current_user)
        get_session().commit()
        flash(_("View “%(name)s” deleted.", name=name), "success")
        return redirect(url_for(".list"))

    bp.add_url_rule("", "list", require_permission(view_perm)(list_page), methods=["GET"])
    bp.add_url_rule("/count", "count", require_permission(view_perm)(count), methods=["GET"])
    if resource.offers("export"):
        bp.add_url_rule("/export", "export",
                        require_permission(resource.permission("export"))(export),
                        methods=["POST"])
    bp.add_url_rule("/bulk", "bulk", require_permission(view_perm)(bulk), methods=["POST"])
    for rule, name, function in (("/views", "views_save", views_save),
                                 ("/views/delete", "views_delete", views_delete)):
        guarded = require_permission(view_perm)(function)
        guarded.crm_own_data = True  # type: ignore[attr-defined]
        bp.add_url_rule(rule, name, guarded, methods=["POST"])
