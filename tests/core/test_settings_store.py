"""Settings an administrator edits: ``toolkit.get_setting`` / ``toolkit.set_setting``.

A value round-trips as JSON, ``None`` brings the default back, keys belong to a plugin, the
operation log shows who changed a setting from what to what.
"""

from __future__ import annotations

import re

import pytest

from crm_core import toolkit
from crm_core.errors import DomainError
from crm_core.testing import create_test_user, login


@pytest.fixture
def app(crm_make_app):
    return crm_make_app(plugins=["example"])


@pytest.fixture
def session(app):
    with app.app_context():
        yield toolkit.get_session()


def test_a_setting_reads_back_what_was_stored_and_its_default_before(session):
    assert toolkit.get_setting("example.letterhead", {"name": ""}) == {"name": ""}
    letterhead = {"name": "上海示例贸易有限公司", "phone": "021 6555 0101", "lines": [1, 2]}
    toolkit.set_setting(session, "example.letterhead", letterhead)
    toolkit.set_setting(session, "core.week_starts_on", 1)
    session.commit()
    assert toolkit.get_setting("example.letterhead") == letterhead
    assert toolkit.get_setting("core.week_starts_on") == 1


def test_a_value_read_is_a_copy(session):
    toolkit.set_setting(session, "example.tags", ["a"])
    toolkit.get_setting("example.tags").append("b")
    assert toolkit.get_setting("example.tags") == ["a"]


def test_another_app_context_reads_the_committed_value(app, session):
    toolkit.set_setting(session, "example.pattern", "SO{yyyy}-{seq}")
    session.commit()
    toolkit.set_setting(session, "example.pattern", "QT{seq}")
    session.commit()
    with app.app_context():
        assert toolkit.get_setting("example.pattern") == "QT{seq}"


def test_none_removes_a_setting_so_readers_get_their_default(session):
    toolkit.set_setting(session, "example.days", 30)
    toolkit.set_setting(session, "example.days", None)
    session.commit()
    assert toolkit.get_setting("example.days", 14) == 14
    toolkit.set_setting(session, "example.never_set", None)  # nothing to remove: no error


KEY_REFUSALS = [
    ("letterhead", "<plugin>.<name>"),
    ("Example.x", "<plugin>.<name>"),
    ("example.", "<plugin>.<name>"),
    ("example.a b", "<plugin>.<name>"),
    ("example." + "x" * 120, "<plugin>.<name>"),
    ("customers.page_size", "No enabled plugin is called customers"),
]
VALUE_REFUSALS = [
    ({1, 2}, "lists and objects only"),
    (float("nan"), "lists and objects only"),
    ("字" * 30000, "at most 64 KiB"),
]


def test_a_key_outside_a_plugin_namespace_is_refused(session):
    for key, says in KEY_REFUSALS:  # one app for all: each case is a check, not a database
        with pytest.raises(toolkit.SettingError) as refused:
            toolkit.set_setting(session, key, "x")
        assert says in str(refused.value), key
        assert isinstance(refused.value, DomainError) and isinstance(refused.value, ValueError)
    with pytest.raises(toolkit.SettingError, match="<plugin>.<name>"):
        toolkit.get_setting("letterhead")


def test_a_value_json_cannot_hold_or_too_large_is_refused(session):
    for value, says in VALUE_REFUSALS:
        with pytest.raises(toolkit.SettingError, match=says):
            toolkit.set_setting(session, "example.note", value)
    assert toolkit.get_setting("example.note", "unset") == "unset"


def test_the_operation_log_shows_a_setting_change(app, session):
    admin = create_test_user(app, "admin", superuser=True)
    with toolkit.acting_as(admin.id, admin.username):
        toolkit.set_setting(session, "example.company_name", "旧名称")
        session.commit()
        toolkit.set_setting(session, "example.company_name", "上海示例贸易有限公司")
        session.commit()
    client = login(app.test_client(), admin)
    page = client.get("/audit?model=core_setting&record_id=example.company_name")
    assert page.status_code == 200
    text = " ".join(re.sub(r"<[^>]+>", " ", page.get_data(as_text=True)).split())
    assert "旧名称 → 上海示例贸易有限公司" in text
