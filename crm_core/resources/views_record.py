"""The generated record pages of a resource: new, create, detail (sections, panels,
history), edit, update and delete with its confirmation, and the search of a relation
field's choices.

A record outside the user's scope (or deleted) answers 404 on every one of them
(``writes.get_record``); a refused form answers 400 with each field's error.

A model with an optimistic lock (``version_id_col``) carries the version it was shown at
in the edit form (``_version``): a save after someone else changed the record, or one that
loses a race at the flush (``StaleDataError``), shows the form again (409) with the user's
typed values and a message to reload, never a 409 error page that loses them.

Another page can send the user here and get them back: ``/new?customer_id=3`` presets the
form's fields from the query string, and ``?next=/customers/3`` (a path on this site, else
ignored) is where create, update, delete and Cancel return to instead of the resource's own
pages.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from ..auth.permissions import require_permission
from ..db import get_session
from ..edge.paths import same_site_path
from ..errors import DomainError
from ..sensitive.forms import protect_form
from ..sensitive.resources import resource_kind
from . import forms, query, writes
from .declaration import Resource
from .display import cell
from .relations import options_html, search_options


def _title(resource: Resource, record: Any) -> str:
    return str(getattr(record, resource.title_field or "id", "") or f"#{record.id}")


def next_path() -> str | None:
    """The ``next`` path of the request (query string or form), if it is on this site."""
    raw = request.values.get("next")
    return same_site_path(raw) if isinstance(raw, str) and len(raw) <= 2000 else None


def version_key(resource: Resource) -> str | None:
    """The attribute of the model's optimistic lock (``version_id_col``), or None."""
    mapper = sa_inspect(resource.model)
    column = mapper.version_id_col
    return None if column is None else mapper.get_property_by_column(column).key


def _sent_version() -> int | None:
    """The ``_version`` the form sent back (a whole number below 10^9), else None."""
    sent = request.form.get("_version", "") if request.method == "POST" else ""
    return int(sent) if sent.isascii() and sent.isdigit() and len(sent) < 10 else None


def _shown_version(resource: Resource, record: Any) -> Any:
    """The version the form was shown at: the one it sent back, else the record's."""
    key = version_key(resource)
    if record is None or key is None:
        return None
    sent = _sent_version()
    return getattr(record, key) if sent is None else sent


def _form_page(resource: Resource, form: FlaskForm, record: Any = None, status: int = 200,
               conflict: str = "") -> Any:
    return render_template(resource.template("form"), resource=resource, form=form,
                           record=record, title=_title(resource, record) if record else None,
                           next_url=next_path(), version=_shown_version(resource, record),
                           conflict=conflict), status


class _Conflict(Exception):
    """Someone else changed the record since the form was shown (or during the save)."""


def _hold_version(resource: Resource, record: Any) -> None:
    """Make the UPDATE check the version the form was shown at (not the one just read):
    SQLAlchemy's ``WHERE version = ?`` then refuses a save over someone else's change."""
    key, sent = version_key(resource), _sent_version()
    if key is not None and sent is not None:
        set_committed_value(record, key, sent)


def _make_form(resource: Resource, record: Any = None, formdata: Any = "request",
               initial: Any = None) -> FlaskForm:
    form = forms.make_form(resource, get_session(), record, formdata=formdata,
                           user=current_user, initial=initial)
    # a user who sees masks gets them on the form, and a mask sent back keeps the value
    return protect_form(form, resource_kind(resource), record)


def _save(resource: Resource, form: FlaskForm, record: Any = None) -> Any:
    """Validate and write; the record, or None with the errors put on the form."""
    if not form.validate_on_submit():
        return None
    session = get_session()
    values = forms.form_values(resource, form)
    try:
        if record is None:
            saved = writes.create_record(session, resource, values, current_user)
        else:
            _hold_version(resource, record)
            saved = writes.update_record(session, resource, record, values, current_user)
        session.commit()
    except StaleDataError:
        session.rollback()
        if record is None:
            raise  # not a form's doing: the kernel's 409 page
        raise _Conflict from None
    except DomainError as exc:
        session.rollback()
        field = getattr(exc, "field", None) or resource.editable()[0].name
        form[field].errors = [*form[field].errors, str(exc)] if field in form else [str(exc)]
        return None
    return saved


def add_routes(bp: Blueprint, resource: Resource) -> None:
    """Add the record routes of ``resource`` to ``bp`` (``/<id>`` is ``<int:<object>_id>``)."""
    id_arg = resource.id_arg
    one = f"/<int:{id_arg}>"

    def record_of(kwargs: dict[str, Any]) -> Any:
        return writes.get_record(get_session(), resource, kwargs[id_arg], current_user)

    def new():  # type: ignore[no-untyped-def]
        """The form of a new record, preset from the query string (``?<field>=<value>``)."""
        return _form_page(resource, _make_form(resource, formdata=None, initial=request.args))

    def create():  # type: ignore[no-untyped-def]
        """Add a record; a refused form shows again with its field errors (400)."""
        form = _make_form(resource)
        saved = _save(resource, form)
        if saved is None:
            return _form_page(resource, form, status=400)
        flash(_("“%(name)s” added.", name=_title(resource, saved)), "success")
        return redirect(next_path() or url_for(".detail", **{id_arg: saved.id}))

    def detail(**kwargs: Any):  # type: ignore[no-untyped-def]
        """One record: its sections, its panels and its history."""
        record = record_of(kwargs)
        names = query.related_names(get_session(), resource, [record],
                                    [item.name for item in resource.fields])
        panels = [(panel, dict(panel.context(record)) if panel.context else {})
                  for panel in resource.panels]
        return render_template(resource.template("detail"), resource=resource, record=record,
                               title=_title(resource, record), names=names, cell=cell,
                               panels=panels)

    def edit(**kwargs: Any):  # type: ignore[no-untyped-def]
        """The form of a record."""
        record = record_of(kwargs)
        return _form_page(resource, _make_form(resource, record, formdata=None), record)

    def update(**kwargs: Any):  # type: ignore[no-untyped-def]
        """Change a record; a refused form shows again with its field errors (400)."""
        record = record_of(kwargs)
        form = _make_form(resource, record)
        try:
            saved = _save(resource, form, record)
        except _Conflict:
            # the typed values stay on the form; the record (reloaded) may be gone by now
            record = record_of(kwargs)
            return _form_page(resource, form, record, status=409, conflict=_(
                "This record was changed by someone else while you were editing; reload "
                "to see their changes."))
        if saved is None:
            return _form_page(resource, form, record, status=400)
        flash(_("“%(name)s” saved.", name=_title(resource, saved)), "success")
        return redirect(next_path() or url_for(".detail", **{id_arg: saved.id}))

    def confirm(**kwargs: Any):  # type: ignore[no-untyped-def]
        """Ask before deleting a record."""
        record = record_of(kwargs)
        return render_template(resource.template("confirm"), resource=resource,
                               record=record, title=_title(resource, record),
                               form=FlaskForm(formdata=None), next_url=next_path(),
                               notice=resource.delete_notice(get_session(), record)
                               if resource.delete_notice else "")

    def delete(**kwargs: Any):  # type: ignore[no-untyped-def]
        """Delete a record (mark it deleted when the model has soft delete)."""
        record = record_of(kwargs)
        title, session = _title(resource, record), get_session()
        try:
            done = writes.delete_record(session, resource, record, current_user)
        except DomainError as exc:
            session.rollback()
            flash(str(exc), "error")
            return redirect(next_path() or url_for(".detail", **{id_arg: record.id}))
        session.commit()
        flash(done if isinstance(done, str) else _("“%(name)s” deleted.", name=title),
              "success")
        return redirect(next_path() or url_for(".list"))

    def choices():  # type: ignore[no-untyped-def]
        """The ``<option>``s of relation field ``?field=`` whose names contain ``?q=`` (or
        ``?<field>-search=``, the search box's own name), among the targets the user may
        see: what the search box above a relation select loads."""
        name = request.args.get("field", "")
        searchable = {item.name: item for item in resource.fields if item.relation is not None}
        item = searchable.get(name)
        if item is None:
            abort(404)
        text = request.args.get("q") or request.args.get(f"{name}-search") or ""
        options = search_options(get_session(), item, current_user, str(text))
        return str(options_html(options, blank=False))

    def guard(action: str, view: Any) -> Any:
        return require_permission(resource.permission(action))(view)

    bp.add_url_rule(one, "detail", guard("view", detail), methods=["GET"])
    bp.add_url_rule("/choices", "choices", guard("view", choices), methods=["GET"])
    if resource.offers("create"):
        bp.add_url_rule("/new", "new", guard("create", new), methods=["GET"])
        bp.add_url_rule("", "create", guard("create", create), methods=["POST"])
    if resource.offers("edit"):
        bp.add_url_rule(f"{one}/edit", "edit", guard("edit", edit), methods=["GET"])
        bp.add_url_rule(f"{one}/edit", "update", guard("edit", update), methods=["POST"])
    if resource.offers("delete"):
        bp.add_url_rule(f"{one}/delete", "confirm", guard("delete", confirm), methods=["GET"])
        bp.add_url_rule(f"{one}/delete", "delete", guard("delete", delete), methods=["POST"])
