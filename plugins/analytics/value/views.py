"""The customer value pages (a part: ``blueprints()``, ``menu_items()``): ``/analytics/value``
(the segment and churn distributions), ``/analytics/value/segments/<segment>`` and
``/analytics/value/churn/<level>`` (the customers of one, a page at a time, the riskiest
first), and ``POST /analytics/value/tag`` (put a tag on the customers of one, through the
customers plugin's ``crm_analytics_apply_tag``). Every figure and row is the reader's data
scope: the customer's owner and department (a rep sees their own customers)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length

from crm_core.toolkit import (
    DomainError,
    MenuItem,
    get_session,
    hooks,
    paginate,
    record_event,
    require_permission,
    scoped,
)

from ..permissions import TAG_CUSTOMERS, VIEW
from ..rolled import scope_proxy
from .compute import last_computed
from .models import CustomerValue, CustomerValueCount
from .purchases import Purchases, all_purchases, customer_link
from .segments import CHURN_LABELS, CHURN_LEVELS, SEGMENT_LABELS, SEGMENTS, reason

bp = Blueprint("analytics_value", __name__)
#: at most this many customers get a tag in one go (each is one checked write)
TAG_MAX = 5000
KINDS = {"segment": SEGMENT_LABELS, "churn": CHURN_LABELS}


class TagForm(FlaskForm):
    """The tag to put on the customers of a segment or churn level."""

    kind = HiddenField()
    code = HiddenField()
    tag = StringField(_l("Tag"), validators=[DataRequired(_l("Name the tag.")),
                                             Length(max=50)])


def blueprints() -> list[Blueprint]:
    """The pages' blueprint."""
    return [bp]


def menu_items() -> list[MenuItem]:
    """"Customer value"."""
    return [MenuItem("analytics.value", _l("Customer value"), "analytics_value.index",
                     permission=VIEW, icon="gem", order=803)]


def _purchases() -> list[Purchases]:
    return all_purchases()


def _in_scope(statement: Any, found: list[Purchases]) -> Any:
    """``statement`` over ``CustomerValue`` limited to the reader's customers."""
    customer = found[0].customer
    return scoped(statement.join(customer, customer.id == CustomerValue.customer_id),
                  customer, current_user._get_current_object())  # noqa: SLF001


def _counts(found: list[Purchases], column: Any) -> dict[str, int]:
    """Customers per code of ``column`` (segment or churn level) the reader may see: the
    counts kept by the last computation, or, when it kept none (computed before they
    were kept), counted from the values."""
    kept = _kept_counts(found, column.key)
    if kept is not None:
        return kept
    rows = get_session().execute(_in_scope(select(column, func.count())
                                           .select_from(CustomerValue), found)
                                 .group_by(column))
    return {key: count for key, count in rows}


def _kept_counts(found: list[Purchases], kind: str) -> dict[str, int] | None:
    session = get_session()
    if session.scalar(select(CustomerValueCount.id).limit(1)) is None:
        return None
    proxy = scope_proxy(found[0].customer, CustomerValueCount)
    statement = scoped(select(CustomerValueCount.code, func.sum(CustomerValueCount.customers))
                       .where(CustomerValueCount.kind == kind), proxy,
                       current_user._get_current_object())  # noqa: SLF001
    return {code: int(count) for code, count in
            session.execute(statement.group_by(CustomerValueCount.code))}


@bp.get("/analytics/value")
@require_permission(VIEW)
def index() -> str:
    """The segment distribution (a pie and a table) and the churn levels."""
    found = _purchases()
    segments = churn = {}
    if found:
        segments = _counts(found, CustomerValue.segment)
        churn = _counts(found, CustomerValue.churn)
    rows = [{"code": code, "label": str(label), "count": segments.get(code, 0),
             "url": url_for("analytics_value.segment", segment=code)}
            for code, *_flags, label in SEGMENTS]
    levels = [{"code": code, "label": str(label), "count": churn.get(code, 0),
               "url": url_for("analytics_value.churn", level=code)}
              for code, label in CHURN_LEVELS]
    return render_template("analytics/value/index.html", available=bool(found), rows=rows,
                           levels=levels, as_of=last_computed(get_session()),
                           chart={"labels": [r["label"] for r in rows],
                                  "values": [r["count"] for r in rows],
                                  "links": [r["url"] for r in rows], "png": _("Save as PNG")})


def _list(kind: str, code: str) -> str:
    found = _purchases()
    if not found or code not in KINDS[kind]:
        abort(404)
    column = CustomerValue.segment if kind == "segment" else CustomerValue.churn
    sort = CustomerValue.amount if kind == "segment" else CustomerValue.risk
    statement = _in_scope(select(CustomerValue, found[0].name).where(column == code), found)
    page = paginate(get_session(), statement, sort=sort, id_column=CustomerValue.customer_id,
                    descending=True)
    rows = [{"value": value, "name": name, "reason": reason(value),
             "yuan": Decimal(value.amount).scaleb(-2),
             "url": customer_link(found, value.customer_id),
             "segment": SEGMENT_LABELS.get(value.segment, value.segment),
             "churn": CHURN_LABELS.get(value.churn, value.churn)} for value, name in page.items]
    form = TagForm(kind=kind, code=code)
    return render_template("analytics/value/list.html", kind=kind, code=code,
                           title=KINDS[kind][code], rows=rows, page=page, form=form,
                           may_tag=current_user.has_permission(TAG_CUSTOMERS),
                           as_of=last_computed(get_session()))


@bp.get("/analytics/value/segments/<segment>")
@require_permission(VIEW)
def segment(segment: str) -> str:
    """The customers of one RFM segment, the biggest spenders first."""
    return _list("segment", segment)


@bp.get("/analytics/value/churn/<level>")
@require_permission(VIEW)
def churn(level: str) -> str:
    """The customers of one churn level, the riskiest first."""
    return _list("churn", level)


@bp.post("/analytics/value/tag")
@require_permission(TAG_CUSTOMERS)
def tag() -> Any:
    """Put a tag on the reader's customers of a segment or churn level (at most
    ``TAG_MAX``), through the plugin that keeps tags."""
    form = TagForm()
    kind, code = form.kind.data or "", form.code.data or ""
    found = _purchases()
    if kind not in KINDS or code not in KINDS[kind] or not found:
        abort(404)
    back = url_for(f"analytics_value.{kind}",
                   **({"segment": code} if kind == "segment" else {"level": code}))
    if not form.validate():
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors), "error")
        return redirect(back)
    column = CustomerValue.segment if kind == "segment" else CustomerValue.churn
    session = get_session()
    ids = list(session.scalars(_in_scope(select(CustomerValue.customer_id)
                                         .where(column == code), found)
                               .order_by(CustomerValue.customer_id).limit(TAG_MAX + 1)))
    if len(ids) > TAG_MAX:
        flash(_("More than %(max)d customers: narrow the group first.", max=TAG_MAX), "error")
        return redirect(back)
    try:
        added = hooks().crm_analytics_apply_tag(customer_ids=ids, tag_name=form.tag.data,
                                                user=current_user._get_current_object())  # noqa: SLF001
    except DomainError as error:
        session.rollback()
        flash(str(error), "error")
        return redirect(back)
    if added is None:
        flash(_("No enabled plugin keeps customer tags."), "error")
        return redirect(back)
    record_event("tag", _l("Tagged %(count)d customers of %(group)s as %(tag)s", count=added,
                           group=str(KINDS[kind][code]), tag=form.tag.data))
    session.commit()
    flash(_("%(count)d customers tagged %(tag)s.", count=added, tag=form.tag.data), "success")
    return redirect(back)
