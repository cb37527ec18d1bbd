"""``toolkit.bulk_write``: Core inserts and updates in batches, one operation-log entry per
batch (and per owner within it) naming the batch's ids, scoped like any other entry."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from crm_core.audit.models import AuditEntry
from crm_core.audit.visibility import visible_condition
from crm_core.db import get_session
from crm_core.rbac.service import assign_roles
from crm_core.testing import create_test_user
from crm_core.toolkit import bulk_write, utcnow

pytestmark = pytest.mark.crm_plugins("example")


def entries(session, action):
    return session.scalars(select(AuditEntry).where(AuditEntry.action == action)
                           .order_by(AuditEntry.id)).all()


def test_inserts_and_updates_in_batches_with_one_entry_a_batch(crm_app):
    from crm_plugin_example.models import Note

    alice = create_test_user(crm_app, "alice")
    with crm_app.app_context():
        session = get_session()
        rows = [{"title": f"n{number}", "body": "", "owner_id": alice.id} for number in range(5)]
        ids = bulk_write(Note, rows, event="import", session=session, batch=2,
                         changes={"import_id": 7})
        assert len(ids) == 5 and ids == sorted(ids)
        logged = entries(session, "import")
        assert len(logged) == 3  # batches of 2, 2 and 1
        assert [json.loads(entry.changes)["ids"] for entry in logged] == \
            [ids[:2], ids[2:4], ids[4:]]
        assert all(json.loads(entry.changes)["import_id"] == 7 for entry in logged)
        assert {(entry.model, entry.scope_model) for entry in logged} == \
            {("example_note", "example_note")}
        assert bulk_write(Note, [{"id": ids[0], "body": "changed"},
                                 {"id": ids[1], "body": "also"}],
                          event="fix", session=session, update_rows=True) == ids[:2]
        assert session.scalar(select(Note.body).where(Note.id == ids[1])) == "also"
        assert len(entries(session, "fix")) == 1
        bulk_write(Note, [{"title": "quiet", "body": ""}], event=None, session=session)
        assert session.scalar(select(Note.id).where(Note.title == "quiet")) is not None
        session.commit()


def test_rows_given_with_ids_and_columns_take_the_fast_path(crm_app):
    from crm_plugin_example.models import Note

    with crm_app.app_context():
        session = get_session()
        now = utcnow()
        columns = ("id", "title", "body", "owner_id", "department_id", "created_at",
                   "updated_at")
        rows = [(100 + number, f"t{number}", "", None, None, now, now) for number in range(3)]
        assert bulk_write(Note, rows, columns=columns, event="load", session=session) == \
            [100, 101, 102]
        assert session.get(Note, 101).created_at is not None
        (entry,) = entries(session, "load")
        assert json.loads(entry.changes)["ids"] == [100, 101, 102]


def test_each_owners_rows_get_their_own_scoped_entry(crm_app):
    from crm_plugin_example.models import Note

    alice = create_test_user(crm_app, "alice")
    bob = create_test_user(crm_app, "bob")
    with crm_app.app_context():
        session = get_session()
        assign_roles(session, alice.id, ["manager"])  # reads the log, own notes only
        session.commit()
        ids = bulk_write(Note, [{"title": "a1", "body": "", "owner_id": alice.id},
                                {"title": "b1", "body": "", "owner_id": bob.id},
                                {"title": "a2", "body": "", "owner_id": alice.id}],
                         event="import", session=session)
        session.commit()
        logged = entries(session, "import")
        assert sorted(json.loads(entry.changes)["ids"] for entry in logged) == \
            [[ids[0], ids[2]], [ids[1]]]
        from crm_core.auth.models import User
        from crm_core.rbac.models import Role
        from crm_core.rbac.service import set_role_scopes

        manager = session.scalar(select(Role).where(Role.name == "manager"))
        set_role_scopes(session, manager.id, {"example.note": "own"})
        session.commit()
        seen = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "import", visible_condition(session.get(User, alice.id)))).all()
        assert [json.loads(entry.changes)["ids"] for entry in seen] == [[ids[0], ids[2]]]
