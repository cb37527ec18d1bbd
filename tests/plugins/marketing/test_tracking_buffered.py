"""Tracking hits while they are buffered (the default): the pixel and the click are answered
without a database write (no session, no user), the hits are folded into the tables later in
one go, and with Redis configured they wait in a Redis list for the beat task's fold."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from marketing_testing import read
from sqlalchemy import event, select
from test_tracking_endpoints import _clicks, _mailed, _tamper

from plugins.marketing.models import CampaignMember
from plugins.marketing.tracking import batching


@contextmanager
def _buffered(app, **config):
    saved = {key: app.config.get(key) for key in
             ("CRM_MARKETING_TRACKING_BATCH_SECONDS", *config)}
    app.config.update({"CRM_MARKETING_TRACKING_BATCH_SECONDS": 60, **config})
    app.extensions.pop(batching._EXTENSION, None)
    try:
        yield
    finally:
        app.config.update(saved)
        app.extensions.pop(batching._EXTENSION, None)


@contextmanager
def _statements(app):
    seen = []

    def note(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement.split(None, 1)[0].upper())

    engine = app.extensions["crm_db"].engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def test_buffered_hits_write_nothing_until_folded(marketing_app):
    campaign_id, (first, second), paths = _mailed(marketing_app)
    visitor = marketing_app.test_client()
    with _buffered(marketing_app):
        visitor.get(paths[1]["clicks"][0])  # the worker learns the link's URL once
        with _statements(marketing_app) as seen:
            pixel = visitor.get(paths[0]["pixel"][0])
            click = visitor.get(paths[1]["clicks"][0])
            again = visitor.get(paths[1]["clicks"][1])
        assert pixel.status_code == 200 and pixel.mimetype == "image/gif"
        assert pixel.headers["Cache-Control"].startswith("no-store")
        assert pixel.headers["X-Content-Type-Options"] == "nosniff"
        assert "Set-Cookie" not in pixel.headers  # no session
        assert click.status_code == 302
        assert click.headers["Location"] == "https://example.com/offer?a=1&b=2"
        assert again.headers["Location"] == "https://example.com/join"
        assert seen == ["SELECT"]  # the second link's URL, read once; no write at all
        assert read(marketing_app, CampaignMember, first).opened_at is None
        # a tampered token still answers the app's 404 page and counts nothing
        assert visitor.get(_tamper(paths[0]["pixel"][0])).status_code == 404
        assert visitor.head(paths[0]["pixel"][0]).status_code == 200
        batching.flush_now(marketing_app)
    assert read(marketing_app, CampaignMember, first).status == "opened"
    assert read(marketing_app, CampaignMember, second).status == "responded"
    assert _clicks(marketing_app, second) == [2, 1]


@pytest.mark.redis
def test_with_redis_hits_wait_in_a_list_for_the_beat_fold(marketing_app, redis_url):
    from plugins.marketing.tracking import redis_hits

    url = redis_url
    key = f"crm:test:tracking:{id(marketing_app)}"
    campaign_id, (first, second), paths = _mailed(marketing_app)
    visitor = marketing_app.test_client()
    with _buffered(marketing_app, CRM_MARKETING_TRACKING_REDIS_URL=url,
                   CRM_MARKETING_TRACKING_REDIS_KEY=key):
        assert visitor.get(paths[0]["pixel"][0]).status_code == 200
        assert visitor.get(paths[1]["clicks"][1]).status_code == 302
        assert visitor.get(paths[1]["clicks"][1]).status_code == 302
        client = redis_hits._client(marketing_app)
        assert client.llen(key) == 3
        assert read(marketing_app, CampaignMember, second).clicked_at is None
        with marketing_app.app_context():
            assert redis_hits.fold_task() == 3  # what the beat runs
        assert client.llen(key) == 0
        marketing_app.extensions.pop(redis_hits._CLIENT, None)
    assert read(marketing_app, CampaignMember, first).status == "opened"
    assert read(marketing_app, CampaignMember, second).status == "responded"
    assert _clicks(marketing_app, second) == [2]
    with marketing_app.app_context():
        session = marketing_app.extensions["crm_db"].new_session()
        stamped = session.scalar(select(CampaignMember.delivered_at)
                                 .where(CampaignMember.id == first))
        session.close()
    assert stamped is not None
