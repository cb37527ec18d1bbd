"""``toolkit.system_context``: CLI commands, tasks and listeners read across data scopes only
when they say so, and what they write is logged as the system with their reason."""

from __future__ import annotations

import logging

import pytest
from crm_plugin_example.models import Note
from flask_login import login_user
from sqlalchemy import func, select

from crm_core.audit.models import AuditEntry
from crm_core.auth.models import User
from crm_core.db import get_session
from crm_core.testing import create_test_user
from crm_core.toolkit import get_scoped_or_404, scoped, system_context

pytestmark = pytest.mark.crm_plugins("example")


def add_notes(app) -> tuple[object, object]:
    rep = create_test_user(app, "rep", roles=["sales"], department="Team A")
    other = create_test_user(app, "other", roles=["sales"], department="Team B")
    with app.app_context():
        session = get_session()
        session.add_all([Note(title="mine", owner_id=rep.id),
                         Note(title="theirs", owner_id=other.id)])
        session.commit()
    return rep, other


def titles(user=None) -> list[str]:
    return sorted(get_session().scalars(scoped(select(Note.title), Note, user)))


def test_outside_a_request_nothing_is_visible_until_the_system_context_says_why(crm_app):
    add_notes(crm_app)
    with crm_app.app_context():
        assert titles() == []
        with system_context("nightly ERP sync"):
            assert titles() == ["mine", "theirs"]
            get_scoped_or_404(Note, 1)
        assert titles() == []


def test_an_explicit_user_keeps_their_scope_inside_the_system_context(crm_app):
    rep, _other = add_notes(crm_app)
    with crm_app.app_context(), system_context("export for a user"):
        assert titles(rep.id) == ["mine"]


def test_a_listener_in_a_users_request_reads_across_scopes_only_inside(crm_app):
    rep, _other = add_notes(crm_app)
    with crm_app.test_request_context():
        user = get_session().get(User, rep.id)
        user.__dict__["crm_session_key"] = "test"
        login_user(user)
        assert titles() == ["mine"]
        with system_context("customer panel of sales"):
            assert titles() == ["mine", "theirs"]
        assert titles() == ["mine"]


def test_writes_inside_are_logged_as_the_system_with_the_reason(crm_app, caplog):
    add_notes(crm_app)
    caplog.set_level(logging.INFO, logger="crm_core.system")
    with crm_app.app_context():
        session = get_session()
        with system_context("close stale notes"):
            for note in session.scalars(scoped(select(Note), Note)):
                note.status = "closed"
            session.commit()
        entries = session.scalars(select(AuditEntry).where(
            AuditEntry.model == "example_note", AuditEntry.action == "update")).all()
        assert len(entries) == 2
        assert {entry.username for entry in entries} == {"system:close stale notes"}
        assert {entry.user_id for entry in entries} == {None}
        assert session.scalar(select(func.count()).select_from(Note)
                              .where(Note.status == "closed")) == 2
    assert any("system context entered: close stale notes" in record.getMessage()
               for record in caplog.records)


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_system_context_without_a_reason_is_refused(reason):
    with pytest.raises(ValueError, match="reason"), system_context(reason):
        pass
