"""Helpers of the job tests: a sales rep and a finished export job of the example plugin."""

from __future__ import annotations

from typing import Any

from crm_core.auth.models import User
from crm_core.db import get_session
from crm_core.rbac.users import create_account
from crm_core.toolkit import start_job


def sales_rep(app: Any, name: str, **preferences: Any) -> User:
    """A new sales rep ``name`` (detached), with user preferences such as ``timezone``."""
    with app.app_context():
        session = get_session()
        user = create_account(session, name, "Kettle-Drum-42x", roles=["sales"])
        for key, value in preferences.items():
            setattr(session.get(User, user.id), key, value)
        session.commit()
        session.refresh(user)
        session.expunge(user)
        return user


def finished_export(app: Any, owner: Any) -> int:
    """Run the example export job in-process for ``owner``; returns the job id."""
    from crm_plugin_example import services

    with app.app_context():
        session = get_session()
        services.add_note(session, "Quarterly plan", owner_id=owner.id)
        session.commit()
        job = start_job("example.export_notes", owner_id=owner.id)
        app.extensions["celery"].tasks["example.export_notes"](job_id=job.id)
        return job.id
