"""The list's bulk actions: a confirmation naming how many customers an action touches, then
the action (in the request, or as a job above the inline limit), and back to the page of the
list the user acted from (its filters, sort and page) with a message saying what changed.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from crm_core.toolkit import DomainError, db, require_permission, start_job

from ..blueprint import bp
from ..exporting import views as exporting
from ..permissions import N_
from ..search import services as search
from ..segments import services as segments
from ..validation import FieldError, parse_id
from . import bulk_actions
from .forms import BulkForm
from .views import SEARCH_LIMIT, VIEW, _choices, _qs_args, bad_filters, filter_form, page_qs

__all__ = ["bulk"]


def _back(qs: str, page: str = "") -> Any:
    """The list with the filters ``qs`` on the page ``page`` (only the page's arguments of
    it are read: it comes from the form)."""
    kept = page_qs(dict(parse_qsl(page or "")))
    joined = "&".join(part for part in (qs, kept) if part)
    return redirect(url_for("customers.list") + (f"?{joined}" if joined else ""))


def _chosen_label(field: Any) -> str:
    """The label of the option chosen in the select ``field`` (the tag's, owner's or type's
    name the message names)."""
    return next((str(choice[1]) for choice in field.iter_choices() if choice[2]), "")


def _selected_ids(form: BulkForm) -> list[int]:
    raw = request.form.getlist("ids") if form.step.data != "run" else \
        (form.ids.data or "").split(",")
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
    qs, page = form.filters_qs.data or "", form.page_qs.data or ""
    if form.action.data not in bulk_actions.ACTIONS:
        flash(_("Choose a bulk action."), "error")
        return _back(qs, page)
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
        return _back(qs, page)
    if form.scope.data == "all":
        # With a quick search, "all" means the matches the page showed.
        ids = [customer.id for customer in search.search_customers(
            db.session, query, user=current_user, limit=SEARCH_LIMIT, filters=filters)] \
            if query else None
    elif not ids:
        flash(_("Tick at least one customer, or choose every customer matching the filters."),
              "error")
        return _back(qs, page)
    count = bulk_actions.count_targets(db.session, user=current_user, ids=ids, filters=filters)
    if count == 0:
        flash(_("No customers to change."), "warning")
        return _back(qs, page)
    # Only the chosen action's value is checked (CSRF is checked for every POST by the app).
    if form.step.data == "run" and (not action.param or form[action.param].validate(form)):
        try:
            return _run_bulk(form, action, ids, filters, query, count)
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
    back = "&".join(part for part in (qs, page_qs(dict(parse_qsl(page)))) if part)
    return render_template("customers/list_bulk_confirm.html", form=form, action=action,
                           count=count, qs=qs, back_qs=back), 400 if form.errors else 200


def _run_bulk(form: BulkForm, action: Any, ids: list[int] | None, filters: dict[str, Any],
              query: str, count: int) -> Any:
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
    flash(bulk_actions.done_message(action.name, changed, value is None,
                                    _chosen_label(form[action.param]) if action.param else ""),
          "success")
    return _back(form.filters_qs.data or "", form.page_qs.data or "")
