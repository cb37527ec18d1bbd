"""A write that lost a race answers 409 "reload and try again", never a 500.

An optimistic lock (``version_id_col``) or an UPDATE of a row someone else deleted raises
SQLAlchemy's ``StaleDataError`` at the flush. Here the race is real and model-free: the
view loads a user, the row is deleted behind its back, the view's change flushes.
"""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from crm_core.auth.models import User
from crm_core.testing import DATABASES, create_test_user, login
from crm_core.toolkit import db, require_permission

RELOAD = "This record was changed by someone else; reload it and try again."


@pytest.fixture(params=DATABASES)
def racing(request, crm_make_app):
    """An app with a view whose update loses a race against a delete, and an admin client."""
    app = crm_make_app(plugins=[], database=request.param, PROPAGATE_EXCEPTIONS=False)
    engine = app.extensions["crm_db"].engine

    @require_permission()
    def rename():
        with app.extensions["crm_db"].new_session() as other:  # someone else, meanwhile
            other.add(User(username="bob", password_hash="x"))
            other.commit()
            bob = db.session.scalar(select(User).where(User.username == "bob"))
            with engine.begin() as connection:
                connection.execute(delete(User).where(User.username == "bob"))
        bob.display_name = "Robert"
        db.session.flush()
        return "unreachable"

    @require_permission()
    def names():
        return ",".join(db.session.scalars(select(User.username).order_by(User.username)))

    for view in (rename, names):
        app.add_url_rule(f"/edge/{view.__name__}", f"page_{view.__name__}", view,
                         methods=["POST"])
        app.add_url_rule(f"/api/v1/edge/{view.__name__}", f"api_{view.__name__}", view,
                         methods=["POST"])
    app.config["WTF_CSRF_ENABLED"] = False
    return login(app.test_client(), create_test_user(app, "ada", superuser=True))


def test_a_lost_race_answers_409_reload_as_a_problem_and_as_a_page(racing):
    response = racing.post("/api/v1/edge/rename")
    assert response.status_code == 409
    assert response.content_type == "application/problem+json"
    body = response.get_json()
    assert body["status"] == 409 and body["title"] == "Conflict"
    assert body["detail"] == RELOAD
    assert racing.post("/api/v1/edge/names").get_data(as_text=True) == "ada"

    page = racing.post("/edge/rename")  # bob is gone now: the same race, seen on a page
    assert page.status_code == 409
    html = page.get_data(as_text=True)
    assert "<!doctype html>" in html and RELOAD in html and "Conflict" in html
    assert "StaleDataError" not in html and "core_user" not in html
    assert racing.post("/edge/names").get_data(as_text=True) == "ada"
