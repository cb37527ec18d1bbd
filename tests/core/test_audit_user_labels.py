"""A user's history reads in the reader's language: the columns of ``core_user`` have labels
(the first-run walk found ``display_name``, ``is_superuser`` raw on a Chinese log page)."""

from __future__ import annotations

from sqlalchemy import select

from crm_core.testing import create_test_user


def test_a_new_users_fields_are_named_in_chinese_in_the_log(crm_make_app):
    from crm_core.audit.display import prefetch, shown_changes
    from crm_core.audit.models import AuditEntry
    from crm_core.db import get_session

    app = crm_make_app(plugins=[])
    create_test_user(app, "ming")
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        entry = get_session().scalars(select(AuditEntry).where(
            AuditEntry.model == "core_user", AuditEntry.action == "insert")
            .order_by(AuditEntry.id.desc())).first()
        prefetch([entry])
        labels = {change.field: str(change.label) for change in shown_changes(entry)}
    assert labels["username"] == "用户名"
    assert labels["display_name"] == "显示名称"
    assert labels["is_superuser"] == "超级用户"
    assert labels["is_active"] == "启用"
