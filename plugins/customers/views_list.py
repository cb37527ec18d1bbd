"""The customer list page: filters, sortable columns, keyset pages, bulk actions on a
selection or the whole filtered set, saved filters (segments) and the trash.

Every read goes through ``services.list_customers`` (or the search part's
``search_customers``), which apply the user's data scope; every write through the services.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from marshmallow import ValidationError
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from crm_core.toolkit import (
    DomainError,
    MenuItem,
    db,
    require_permission,
    start_job,
    user_names,
)

from . import bulk_actions, exporting, search, segments, services
from .blueprint import bp
from .forms_list import FILTER_FIELDS, BulkForm, FilterForm, SegmentForm
from .models import Customer, CustomerTag, CustomerType, Tag
from .plugin import N_
from .validation import FieldError, parse_id

VIEW = "customers.customer.view"
SEGMENT_MANAGE = "customers.segment.manage"
SEGMENT_SHARE = "customers.segment.share"
SEARCH_LIMIT = 200
# Query arguments that belong to one page of the list, not to what is listed.
PAGE_ARGS = ("cursor", "before")


def menu_items() -> list[MenuItem]:
    """The "Customers" entry of the main menu."""
    return [MenuItem(id="customers.list", label=_l("Customers"), endpoint="customers.list",
                     permission=VIEW, icon="people", order=100)]


# ---------------------------------------------------------------------------- lookups


def _users_table() -> Any:
    """The kernel's user table, reached through the customer's foreign key."""
    (foreign_key,) = Customer.__table__.c.owner_id.foreign_keys
    return foreign_key.column.table


def _choices() -> tuple[list[tuple[int, str]], list[tuple[int, str]], list[tuple[int, str]]]:
    """(types, tags, active users) as (id, label) rows for the select fields."""
    session = db.session
    types = [(row.id, row.name) for row in session.execute(
        select(CustomerType.id, CustomerType.name).order_by(CustomerType.position,
                                                            CustomerType.name))]
    tags = [(row.id, row.name) for row in session.execute(
        select(Tag.id, Tag.name).order_by(Tag.name))]
    users = _users_table()
    owners = [(row.id, row.display_name or row.username) for row in session.execute(
        select(users.c.id, users.c.username, users.c.display_name)
        .where(users.c.is_active.is_(True)).order_by(users.c.username))]
    return types, tags, owners


def _page_details(customers: list[Customer]) -> dict[str, Any]:
    """Names of the page's types and owners, and its customers' tags, in three queries."""
    session = db.session
    ids = [customer.id for customer in customers]
    owner_ids = {customer.owner_id for customer in customers if customer.owner_id}
    owners = user_names(session, owner_ids)
    types = {row.id: row.name for row in session.execute(
        select(CustomerType.id, CustomerType.name))}
    tags: dict[int, list[Tag]] = {}
    if ids:
        for customer_id, tag in session.execute(
                select(CustomerTag.customer_id, Tag).join(Tag, Tag.id == CustomerTag.tag_id)
                .where(CustomerTag.customer_id.in_(ids)).order_by(Tag.name)):
            tags.setdefault(customer_id, []).append(tag)
    return {"owners": owners, "types": types, "tags": tags}


def _endpoint(name: str) -> bool:
    """Whether another part's page exists (the record part adds customers.detail, new)."""
    return name in current_app.view_functions


# ---------------------------------------------------------------------------- filters


def filter_form(args: Mapping[str, Any]) -> tuple[FilterForm, Any]:
    """The filter form read from query arguments, with the chosen segment's filters in place
    of the filter arguments when ``segment`` is given; returns (form, segment or None)."""
    data = MultiDict(args)
    segment = None
    raw_segment = data.get("segment", "")
    segment_id = parse_id(raw_segment)
    if raw_segment and segment_id is None:
        abort(404)
    if segment_id:
        try:
            segment = segments.get_segment(db.session, segment_id, user=current_user)
        except segments.SegmentNotFound:
            abort(404)
        for name in FILTER_FIELDS:
            data.poplist(name)
        data.update(segment.filters or {})
    form = FilterForm(formdata=data)
    form.set_choices(*_choices())
    if not form.validate() and segment is not None and form.filter_errors():
        # A segment saved before its values were checked: its bad filter is shown under
        # the field and left out, for everyone who picks the segment.
        flash(_("This segment has filters that are not valid any more; they are left out: "
                "%(names)s.", names=bad_filters(form)), "warning")
    return form, segment


def bad_filters(form: FilterForm) -> str:
    """The refused filters of ``form``, each with its error, as one line for a message."""
    return "; ".join(f"{form[name].label.text}: {' '.join(map(str, errors))}"
                     for name, errors in form.filter_errors().items())


def _filters_qs(form: FilterForm, segment: Any) -> str:
    """The query string that brings back this list (filters, sort, search; no page)."""
    args: dict[str, Any] = {"q": form.q.data or None, "sort": form.sort.data,
                            "order": form.order.data, "size": form.size.data}
    if segment is not None:
        args["segment"] = segment.id
    else:
        for name, value in form.filters().items():
            args[name] = value.isoformat() if isinstance(value, dt.date) else value
    return urlencode({key: value for key, value in args.items() if value not in (None, "")})


def _qs_args(qs: str) -> MultiDict:
    return MultiDict(parse_qsl(qs or "", keep_blank_values=False))


# ---------------------------------------------------------------------------- the list


@bp.get("/", endpoint="list")
@require_permission(VIEW)
def list_page():  # type: ignore[no-untyped-def]
    """Customers the user may see: filtered, sorted, one keyset page (or the best search
    matches for ``q``), with bulk actions and segments."""
    form, segment = filter_form(request.args)
    filters = form.filters()
    sort, descending, size = form.view_settings()
    qs = _filters_qs(form, segment)
    query = (form.q.data or "").strip() if not form.q.errors else ""
    prev_cursor = next_cursor = None
    if query:
        customers = search.search_customers(db.session, query, user=current_user,
                                            limit=SEARCH_LIMIT, filters=filters)
    else:
        customers, prev_cursor, next_cursor = _keyset_page(filters, sort, descending, size)
    bulk = BulkForm(formdata=None, filters_qs=qs)
    bulk.set_choices([], [], [])
    return render_template(
        "customers/list.html", form=form, customers=customers, searching=bool(query),
        search_limit=SEARCH_LIMIT,
        prev_cursor=prev_cursor, next_cursor=next_cursor, qs=qs, sort=sort,
        descending=descending, segment=segment,
        segments=segments.list_segments(db.session, user=current_user),
        segment_form=SegmentForm(formdata=None, filters_qs=qs), bulk=bulk,
        filtered=bool(filters), open_filters=bool(filters) or bool(form.errors),
        has_detail=_endpoint("customers.detail"), has_new=_endpoint("customers.new"),
        details=_page_details(customers), args=_qs_args(qs).to_dict(),
        bulk_permissions={name: action.permission
                          for name, action in bulk_actions.ACTIONS.items()},
        bulk_missing={name: action for name, action in bulk_actions.ACTIONS.items()
                      if action.missing is not None},
        may_save_segment=current_user.has_permission(SEGMENT_MANAGE),
        may_share_segment=current_user.has_permission(SEGMENT_SHARE)), \
        400 if form.errors and segment is None else 200


def _keyset_page(filters: dict[str, Any], sort: str, descending: bool, size: int
                 ) -> tuple[list[Customer], str | None, str | None]:
    """One page after ``?cursor=`` (or, for ``?before=``, the page before it) and the
    cursors of the previous and next pages. A bad link raises the kernel's ``PageError``,
    which brings the browser back to the first page with a notice."""
    page = services.list_customers(db.session, user=current_user, filters=filters, sort=sort,
                                   descending=descending, limit=size,
                                   cursor=request.args.get("cursor") or None,
                                   before=request.args.get("before") or None)
    return list(page.items), page.prev_cursor, page.next_cursor


# ---------------------------------------------------------------------------- bulk actions


def _back(qs: str) -> Any:
    return redirect(url_for("customers.list") + (f"?{qs}" if qs else ""))


def _selected_ids(bulk: BulkForm) -> list[int]:
    raw = request.form.getlist("ids") if bulk.step.data != "run" else \
        (bulk.ids.data or "").split(",")
    return sorted({number for value in raw if (number := parse_id(value)) is not None})


@bp.post("/bulk")
@require_permission(VIEW)
def bulk():  # type: ignore[no-untyped-def]
    """A bulk action: first a confirmation naming how many customers it touches, then the
    action itself (in the request, or as a job above the inline limit)."""
    if not any(current_user.has_permission(action.permission)
               for action in bulk_actions.ACTIONS.values()):
        abort(403)
    form = BulkForm()
    form.set_choices(*_choices())
    qs = form.filters_qs.data or ""
    if form.action.data not in bulk_actions.ACTIONS:
        flash(_("Choose a bulk action."), "error")
        return _back(qs)
    action = bulk_actions.ACTIONS[form.action.data]
    if not current_user.has_permission(action.permission):
        abort(403)
    filters_form, _segment = filter_form(_qs_args(qs))
    filters = filters_form.filters()
    query = (filters_form.q.data or "").strip() if not filters_form.q.errors else ""
    ids: list[int] | None = _selected_ids(form)
    if form.scope.data == "all" and filters_form.filter_errors():
        # Leaving a bad filter out would offer every customer instead of the matching ones.
        flash(_("Not done: these filters are not valid: %(names)s.",
                names=bad_filters(filters_form)), "error")
        return _back(qs)
    if form.scope.data == "all":
        # With a quick search, "all" means the matches the page showed.
        ids = [customer.id for customer in search.search_customers(
            db.session, query, user=current_user, limit=SEARCH_LIMIT, filters=filters)] \
            if query else None
    elif not ids:
        flash(_("Tick at least one customer, or choose every customer matching the filters."),
              "error")
        return _back(qs)
    count = bulk_actions.count_targets(db.session, user=current_user, ids=ids, filters=filters)
    if count == 0:
        flash(_("No customers to change."), "warning")
        return _back(qs)
    # Only the chosen action's value is checked (CSRF is checked for every POST by the app).
    if form.step.data == "run" and (not action.param or form[action.param].validate(form)):
        try:
            return _run_bulk(form, action, ids, filters, query, count, qs)
        except FieldError as exc:
            if exc.field in form:
                form[exc.field].errors = [*form[exc.field].errors, str(exc)]
            else:
                flash(str(exc), "error")
        except DomainError as exc:
            flash(str(exc), "error")
    form.ids.data = ",".join(map(str, ids)) if ids is not None else ""
    form.scope.data = "all" if ids is None else "selected"
    form.step.data = "run"
    return render_template("customers/list_bulk_confirm.html", form=form, action=action,
                           count=count, qs=qs), 400 if form.errors else 200


def _run_bulk(form: BulkForm, action: Any, ids: list[int] | None, filters: dict[str, Any],
              query: str, count: int, qs: str) -> Any:
    value = form[action.param].data if action.param else None
    if action.param in ("owner_id", "tag_id") and value is None:
        raise FieldError(action.param, _("Choose one."))
    if action.name == "export":
        handle = exporting.start_export(db.session, user=current_user, fmt=value, ids=ids,
                              filters=None if ids is not None else filters,
                              query=query or None)
        return redirect(url_for("core_jobs.job_page", job_id=handle.id))
    if count > bulk_actions.inline_limit():
        job = start_job("customers.bulk_action", kind=N_("Bulk action on customers"),
                        owner_id=current_user.id, action=action.name, value=value, ids=ids,
                        filters=None if ids is not None else segments.filters_to_json(filters))
        return redirect(url_for("core_jobs.job_page", job_id=job.id))
    changed = bulk_actions.apply_to(db.session, user=current_user, action=action.name,
                                    value=value, ids=ids, filters=filters)
    bulk_actions.refresh_counts(db.session, queue=True)
    flash(ngettext("%(num)d customer changed.", "%(num)d customers changed.", changed),
          "success")
    return _back(qs)


# ---------------------------------------------------------------------------- segments


@bp.post("/segments")
@require_permission(SEGMENT_MANAGE)
def segment_save():  # type: ignore[no-untyped-def]
    """Save the list's current filters as a segment (private, or shared with everyone:
    sharing needs ``customers.segment.share``)."""
    form = SegmentForm()
    qs = form.filters_qs.data or ""
    if form.shared.data and not current_user.has_permission(SEGMENT_SHARE):
        abort(403)
    if not form.validate():
        for errors in form.errors.values():
            for error in errors:
                flash(_("Segment not saved: %(reason)s", reason=error), "error")
        return _back(qs)
    filters_form = filter_form(_qs_args(qs))[0]
    if filters_form.filter_errors():
        # A segment keeps only filters that work: one that fails would fail for everyone.
        flash(_("Segment not saved: these filters are not valid: %(names)s.",
                names=bad_filters(filters_form)), "error")
        return _back(qs)
    filters = filters_form.filters()
    try:
        segment = segments.save_segment(db.session, user=current_user, name=form.name.data,
                                        filters=filters, shared=form.shared.data)
    except DomainError as exc:
        flash(_("Segment not saved: %(reason)s", reason=str(exc)), "error")
        return _back(qs)
    db.session.commit()
    flash(_("Segment “%(name)s” saved.", name=segment.name), "success")
    return redirect(url_for("customers.list", segment=segment.id))


@bp.post("/segments/<int:segment_id>/delete")
@require_permission(SEGMENT_MANAGE)
def segment_delete(segment_id: int):  # type: ignore[no-untyped-def]
    """Delete one of the user's own segments (the form asks for confirmation first)."""
    try:
        segment = segments.get_segment(db.session, segment_id, user=current_user)
        name = segment.name
        segments.delete_segment(db.session, segment_id, user=current_user)
    except segments.SegmentNotFound:
        abort(404)
    db.session.commit()
    flash(_("Segment “%(name)s” deleted.", name=name), "success")
    return redirect(url_for("customers.list"))


# ---------------------------------------------------------------------------- the trash


@bp.get("/trash")
@require_permission("customers.customer.delete")
def trash():  # type: ignore[no-untyped-def]
    """Deleted customers the user may see, most recently changed first, with Restore."""
    cursor = request.args.get("cursor") or None
    try:
        page = services.list_customers(db.session, user=current_user, filters={"trash": True},
                                       limit=50, cursor=cursor)
    except ValidationError:
        page, cursor = services.list_customers(db.session, user=current_user,
                                               filters={"trash": True}, limit=50), None
    return render_template("customers/list_trash.html", customers=page.items,
                           next_cursor=page.next_cursor, first_page=cursor is None,
                           details=_page_details(list(page.items)))


@bp.post("/trash/<int:customer_id>/restore")
@require_permission("customers.customer.delete")
def trash_restore(customer_id: int):  # type: ignore[no-untyped-def]
    """Take one customer out of the trash."""
    try:
        customer = services.restore_customer(db.session, customer_id, user=current_user)
    except services.CustomerNotFound:
        abort(404)
    except DomainError as exc:
        flash(str(exc), "error")
        return redirect(url_for("customers.trash"))
    db.session.commit()
    flash(_("“%(name)s” is restored.", name=customer.name), "success")
    return redirect(url_for("customers.trash"))
