"""The approval pages: "Waiting for me", my requests, one approval (decide or withdraw),
the top bar's badge, and the history panel a record page includes."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..api.pagination import paginate
from ..auth.permissions import require_permission
from ..db import get_session
from ..rbac.users import user_names
from ..registry import MenuItem
from . import queries, service
from .events import status_label
from .forms import DecisionForm, WithdrawForm, kind_labels, mode_labels
from .models import STATUSES
from .types import approval_subjects

bp = Blueprint("core_approvals", __name__, url_prefix="/approvals")
DECIDE = "core.approvals.decide"
MENU_ITEMS = [
    MenuItem(id="core.approvals", label=_l("Approvals"), endpoint="core_approvals.inbox",
             permission=DECIDE, icon="check2-square", order=900),
    MenuItem(id="core.approvals.inbox", label=_l("Waiting for me"),
             endpoint="core_approvals.inbox", permission=DECIDE, icon="inbox", order=10,
             parent="core.approvals"),
    MenuItem(id="core.approvals.mine", label=_l("My requests"),
             endpoint="core_approvals.mine", permission=DECIDE, icon="send", order=20,
             parent="core.approvals"),
]


def subject_link(approval: Any) -> str | None:
    """The URL of the approval's record, when its plugin tells one."""
    subject = approval_subjects().get(approval.subject_kind)
    if subject is None or subject.url_for_subject is None:
        return None
    try:
        return subject.url_for_subject(approval.subject_id)
    except Exception:  # noqa: BLE001 - a plugin's broken link must not break the page
        return None


def _list_page(title: str, query: Any, empty: str) -> Any:
    session = get_session()
    page = paginate(session, query, descending=True)
    names = user_names(session, {a.requester_id for a in page.items})
    return render_template("core/approvals/list.html", title=title, page=page, names=names,
                           empty=empty, status_label=status_label,
                           steps=queries.step_views(session, [a.id for a in page.items]))


@bp.get("/")
@require_permission()
def inbox():  # type: ignore[no-untyped-def]
    """Approvals waiting for my decision, newest first."""
    query = queries.listing(current_user, waiting=True)
    return _list_page(_("Waiting for me"), query, _("Nothing waits for your decision."))


@bp.get("/mine")
@require_permission()
def mine():  # type: ignore[no-untyped-def]
    """The approvals I asked for, newest first."""
    status = request.args.get("status", "")
    query = queries.listing(current_user, requested=True,
                            status=status if status in STATUSES else None)
    return _list_page(_("My requests"), query, _("You have not asked for any approval yet."))


@bp.get("/badge")
@require_permission()
def badge():  # type: ignore[no-untyped-def]
    """The top bar's count of approvals waiting for me (an htmx partial)."""
    count = queries.waiting_count(get_session(), current_user.id)
    return render_template("core/approvals/_badge.html", count=count)


def _visible_open(approval_id: int) -> Any:
    """The approval if I may see it; one whose record was deleted is closed first."""
    session = get_session()
    approval = queries.get_visible(session, approval_id, current_user)
    if service.close_if_subject_gone(session, approval):
        session.commit()
    return approval


@bp.get("/<int:approval_id>")
@require_permission()
def detail(approval_id: int):  # type: ignore[no-untyped-def]
    """One approval: what is asked, its steps, and the decision or withdraw form."""
    session = get_session()
    approval = _visible_open(approval_id)
    return render_template(
        "core/approvals/detail.html", approval=approval,
        steps=queries.step_views(session, [approval.id]).get(approval.id, []),
        requester=user_names(session, [approval.requester_id]).get(approval.requester_id, ""),
        may_decide=queries.may_decide(session, approval, current_user.id)
        and current_user.has_permission(DECIDE),
        may_withdraw=approval.status == "pending" and approval.requester_id == current_user.id
        and current_user.has_permission(DECIDE),
        form=DecisionForm(), withdraw_form=WithdrawForm(), subject_url=subject_link(approval),
        subject=approval_subjects().get(approval.subject_kind),
        status_label=status_label, kind_labels=kind_labels(), mode_labels=mode_labels())


@bp.post("/<int:approval_id>/decide")
@require_permission(DECIDE)
def decide(approval_id: int):  # type: ignore[no-untyped-def]
    """Approve or reject the open step, with a comment."""
    session = get_session()
    approval = _visible_open(approval_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400, "; ".join(str(e) for errors in form.errors.values() for e in errors))
    approve = request.form.get("decision") == "approve"
    if request.form.get("decision") not in ("approve", "reject"):
        abort(400, _("Choose approve or reject."))
    service.decide(session, approval.id, current_user.id, approve, form.comment.data or "")
    session.commit()
    flash(_("You approved “%(title)s”.", title=approval.title) if approve
          else _("You rejected “%(title)s”.", title=approval.title), "success")
    return redirect(url_for("core_approvals.detail", approval_id=approval.id))


@bp.post("/<int:approval_id>/withdraw")
@require_permission(DECIDE)
def withdraw(approval_id: int):  # type: ignore[no-untyped-def]
    """The requester takes the request back."""
    session = get_session()
    approval = _visible_open(approval_id)
    form = WithdrawForm()
    if not form.validate_on_submit():
        abort(400, "; ".join(str(e) for errors in form.errors.values() for e in errors))
    service.withdraw(session, approval.id, current_user.id, form.reason.data or "")
    session.commit()
    flash(_("You withdrew “%(title)s”.", title=approval.title), "success")
    return redirect(url_for("core_approvals.detail", approval_id=approval.id))


def approval_history(subject_kind: str, subject_id: Any) -> dict[str, Any]:
    """What ``core/approvals/_history.html`` shows for one record (the viewer's approvals)."""
    if not current_user.is_authenticated:
        return {"approvals": [], "steps": {}}
    try:
        subject_id = int(subject_id)
    except (TypeError, ValueError):
        return {"approvals": [], "steps": {}}
    session = get_session()
    approvals = queries.subject_history(session, current_user, subject_kind, subject_id)
    return {"approvals": approvals,
            "steps": queries.step_views(session, [a.id for a in approvals])}


def approvals_waiting() -> int:
    """The badge's first count, rendered with the page (htmx refreshes it)."""
    if not current_user.is_authenticated:
        return 0
    return queries.waiting_count(get_session(), current_user.id)


@bp.app_context_processor
def inject_helpers() -> dict[str, Any]:
    return {"crm_approval_history": approval_history,
            "crm_approvals_waiting": approvals_waiting,
            "crm_approval_status": status_label}
