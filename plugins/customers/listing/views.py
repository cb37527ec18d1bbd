"""The customer list page: filters, sortable columns, keyset pages, bulk actions on a
selection or the whole filtered set, saved filters (segments) and the trash.

Every read goes through ``list_customers`` (or the search part's
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
from flask_login import current_user
from marshmallow import ValidationError
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from crm_core.toolkit import (
    DomainError,
    MenuItem,
    custom_fields,
    db,
    require_permission,
    user_names,
)

from ..blueprint import bp
from ..models import Customer, CustomerTag, CustomerType, Tag
from ..records.followups import due_label, user_today
from ..records.queries import CustomerNotFound, list_customers, list_statement, without_contacts
from ..records.services import restore_customer
from ..search import services as search
from ..segments import services as segments
from ..validation import parse_id
from . import bulk_actions, choices, columns
from . import custom as custom_list
from .forms import FILTER_FIELDS, BulkForm, FilterForm, SegmentForm

VIEW = "customers.customer.view"
SEGMENT_MANAGE = "customers.segment.manage"
SEGMENT_SHARE = "customers.segment.share"
SEARCH_LIMIT = 200
# Query arguments that belong to one page of the list, not to what is listed: the keyset
# cursors and the page's number (which only says which rows these are: "Customers 21–40").
PAGE_ARGS = ("cursor", "before", "page")
PAGE_MAX = 1_000_000
CURSOR_MAX = 1000  # a cursor longer than this is not one the list made


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


def _page_details(customers: list[Customer], shown: columns.Columns | None = None
                  ) -> dict[str, Any]:
    """Names of the page's types and owners, and its customers' tags, in three queries (a
    column the user left out of ``shown`` costs none)."""
    session = db.session
    wanted = (lambda name: True) if shown is None else shown.shows
    ids = [customer.id for customer in customers]
    owner_ids = {customer.owner_id for customer in customers if customer.owner_id}
    owners = user_names(session, owner_ids) if wanted("owner") else {}
    types = {row.id: row.name for row in session.execute(
        select(CustomerType.id, CustomerType.name))} if wanted("type") else {}
    tags: dict[int, list[Tag]] = {}
    if ids and wanted("tags"):
        for customer_id, tag in session.execute(
                select(CustomerTag.customer_id, Tag).join(Tag, Tag.id == CustomerTag.tag_id)
                .where(CustomerTag.customer_id.in_(ids)).order_by(Tag.name)):
            tags.setdefault(customer_id, []).append(tag)
    return {"owners": owners, "types": types, "tags": tags}


def _endpoint(name: str) -> bool:
    """Whether another part's page exists (the record part adds customers.detail, new)."""
    return name in current_app.view_functions


# ---------------------------------------------------------------------------- filters


def filter_form(args: Mapping[str, Any], warn: bool = True) -> tuple[FilterForm, Any]:
    """The filter form read from query arguments, with the chosen segment's filters in place
    of the filter arguments when ``segment`` is given; returns (form, segment or None).
    ``warn``: flash a notice when the segment's filters are not valid any more."""
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
    form.custom_filters, form.custom_errors = custom_list.read_filters(
        db.session, current_user, args, segment)
    form.set_choices(*_choices(), custom_list.sort_choices(db.session, current_user))
    if not form.validate() and warn and segment is not None and form.filter_errors():
        # A segment saved before its values were checked: its bad filter is shown under
        # the field and left out, for everyone who picks the segment.
        flash(_("This segment has filters that are not valid any more; they are left out: "
                "%(names)s.", names=bad_filters(form)), "warning")
    return form, segment


def bad_filters(form: FilterForm) -> str:
    """The refused filters of ``form``, each with its error, as one line for a message."""
    return "; ".join(f"{form[name].label.text if name in form else name}: "
                     f"{' '.join(map(str, errors))}"
                     for name, errors in form.filter_errors().items())


def _filters_qs(form: FilterForm, segment: Any, cols: str | None = None) -> str:
    """The query string that brings back this list (filters, sort, search, the chosen
    columns ``cols``; no page)."""
    args: dict[str, Any] = {"q": form.q.data or None, "sort": form.sort.data,
                            "order": form.order.data, "size": form.size.data, "cols": cols}
    if segment is not None:
        args["segment"] = segment.id
    else:
        for name, value in form.filters().items():
            if name == "custom":  # custom.<key>=... (listing/custom.py)
                args.update(value)
            else:
                args[name] = value.isoformat() if isinstance(value, dt.date) else value
    return urlencode({key: value for key, value in args.items() if value not in (None, "")})


def _qs_args(qs: str) -> MultiDict:
    return MultiDict(parse_qsl(qs or "", keep_blank_values=False))


def page_qs(args: Mapping[str, Any]) -> str:
    """The arguments of the page the list shows (``cursor``/``before`` and ``page``), as a
    query string the bulk form carries so the user comes back to that page."""
    kept = [(name, str(args.get(name))) for name in PAGE_ARGS if args.get(name)]
    return urlencode([(name, value) for name, value in kept if len(value) <= CURSOR_MAX])


def page_number(args: Mapping[str, Any]) -> int | None:
    """``?page=``: the number of the page the list shows (None: not a page number)."""
    raw = str(args.get("page") or "")
    return int(raw) if raw.isdigit() and len(raw) <= 7 and 1 <= int(raw) <= PAGE_MAX else None


def position(page: int | None, size: int, shown: int) -> tuple[int, int] | None:
    """``(first, last)``: the numbers of the first and last row of page ``page`` showing
    ``shown`` rows of ``size`` each; None when the page's number is not known."""
    if page is None or shown < 1:
        return None
    first = (page - 1) * size + 1
    return first, first + shown - 1


# ---------------------------------------------------------------------------- the list


@bp.get("/", endpoint="list")
@require_permission(VIEW)
def list_page():  # type: ignore[no-untyped-def]
    """Customers the user may see: filtered, sorted, one keyset page (or the best search
    matches for ``q``), with bulk actions and segments."""
    form, segment = filter_form(request.args)
    filters = form.filters()
    sort, descending, size = form.view_settings()
    shown = columns.read(db.session, current_user, request.args)  # ?col= (columns.py)
    qs = _filters_qs(form, segment, shown.cols)
    query = (form.q.data or "").strip() if not form.q.errors else ""
    prev_cursor = next_cursor = None
    paging = bool(request.args.get("cursor") or request.args.get("before"))
    if query:
        customers = search.search_customers(db.session, query, user=current_user,
                                            limit=SEARCH_LIMIT, filters=filters)
    else:
        customers, prev_cursor, next_cursor = _keyset_page(filters, sort, descending, size)
        if not customers and paging:  # its rows left the list (a bulk action): the first
            return _back(qs)
    args = _qs_args(qs).to_dict()
    number = page_number(request.args) if paging else 1
    custom_columns = shown.custom
    bulk = BulkForm(formdata=None, filters_qs=qs, page_qs=page_qs(request.args))
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
        details=_page_details(customers, shown), args=args, list_columns=shown, page_number=number,
        position=None if query else position(number, size, len(customers)),
        count_url=None if query or not customers else url_for(
            "customers.list_count", **args, page=number, shown=len(customers)),
        filter_options=choices.filter_options(db.session, user=current_user, current={
            name: form[name].data for name in ("province", "level", "status")}),
        without_import={name: value for name, value in args.items() if name != "import_id"},
        today=user_today(), due_label=due_label, custom_columns=custom_columns,
        custom_sorts={name.removeprefix(custom_fields.PREFIX) for name, _label in
                      custom_list.sort_choices(db.session, current_user)},
        custom_cells=custom_list.cells(db.session, custom_columns, customers),
        custom_locale=custom_fields.locale(),
        custom_inputs=custom_list.filter_inputs(db.session, current_user,
                                                form.custom_filters, form.custom_errors),
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
    cursor, before = request.args.get("cursor") or None, request.args.get("before") or None
    if sort.startswith(custom_fields.PREFIX):  # custom.<key>: through the field's index
        page = custom_list.sorted_customers(
            db.session, current_user, list_statement(without_contacts(), user=current_user,
                                                     filters=filters),
            sort, descending=descending, limit=size, cursor=cursor, before=before)
        return list(page.items), page.prev_cursor, page.next_cursor
    # the list shows no phone or email: they are not read with the page
    page = list_customers(db.session, user=current_user, filters=filters, sort=sort,
                          descending=descending, limit=size, cursor=cursor, before=before,
                          contacts=False)
    return list(page.items), page.prev_cursor, page.next_cursor


# ---------------------------------------------------------------------------- back


def _back(qs: str) -> Any:
    return redirect(url_for("customers.list") + (f"?{qs}" if qs else ""))


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
    # a segment keeps filters, not columns: the columns chosen stay for this page only
    return redirect(url_for("customers.list", segment=segment.id,
                            cols=_qs_args(qs).get("cols") or None))


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
        page = list_customers(db.session, user=current_user, filters={"trash": True},
                                       limit=50, cursor=cursor)
    except ValidationError:
        page, cursor = list_customers(db.session, user=current_user,
                                               filters={"trash": True}, limit=50), None
    return render_template("customers/list_trash.html", customers=page.items,
                           next_cursor=page.next_cursor, first_page=cursor is None,
                           details=_page_details(list(page.items)))


@bp.post("/trash/<int:customer_id>/restore")
@require_permission("customers.customer.delete")
def trash_restore(customer_id: int):  # type: ignore[no-untyped-def]
    """Take one customer out of the trash."""
    try:
        customer = restore_customer(db.session, customer_id, user=current_user)
    except CustomerNotFound:
        abort(404)
    except DomainError as exc:
        flash(str(exc), "error")
        return redirect(url_for("customers.trash"))
    db.session.commit()
    flash(_("“%(name)s” is restored.", name=customer.name), "success")
    return redirect(url_for("customers.trash"))
