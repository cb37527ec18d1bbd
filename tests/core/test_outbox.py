"""The outbox: channels from plugins, retries with backoff, at-least-once with idempotency
keys, claims that keep two workers off the same message, and clear refusals."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select

from crm_core.db import get_session, utcnow
from crm_core.errors import ConfigError, RegistryError
from crm_core.outbox import OutboxError, enqueue
from crm_core.outbox.delivery import claim, drain
from crm_core.outbox.models import OutboxMessage
from crm_core.outbox.settings import OutboxSettings, outbox_settings

RELAY = """
import threading
import time

from crm_core.toolkit import OutboxChannel, PluginInfo, hookimpl

PLUGIN = PluginInfo(name="relay", version="0.1.0", title="Relay")
DELIVERED = []   # (message id, idempotency key, attempt)
OVERLAPS = []    # ids delivered by two workers at once
FAIL_FIRST = {}  # key -> how many tries fail before one succeeds
IN_FLIGHT = set()
LOCK = threading.Lock()


def deliver(payload, message):
    with LOCK:
        if message.id in IN_FLIGHT:
            OVERLAPS.append(message.id)
        IN_FLIGHT.add(message.id)
    try:
        time.sleep(payload.get("sleep", 0))
        with LOCK:
            if FAIL_FIRST.get(message.idempotency_key, 0) > 0:
                FAIL_FIRST[message.idempotency_key] -= 1
                raise ConnectionError("receiver busy")
            DELIVERED.append((message.id, message.idempotency_key, message.attempt))
    finally:
        with LOCK:
            IN_FLIGHT.discard(message.id)


def validate(payload):
    if "body" not in payload:
        raise ValueError("relay: a payload needs a 'body'")


@hookimpl
def crm_outbox_channels():
    return [OutboxChannel("relay", deliver, validate=validate,
                          summary=lambda payload: payload["body"])]
"""


@pytest.fixture
def relay(crm_install_plugin):
    crm_install_plugin("relay", RELAY)
    import relay_plugin.plugin as module

    for state in (module.DELIVERED, module.OVERLAPS, module.FAIL_FIRST, module.IN_FLIGHT):
        state.clear()
    return module


def add(app, count: int, prefix: str = "event", **payload) -> list[int]:
    with app.app_context():
        ids = [enqueue("relay", {"body": f"{prefix} {n}", **payload}, f"{prefix}:{n}").id
               for n in range(count)]
        get_session().commit()
    return ids


def statuses(app) -> dict[int, tuple[str, int]]:
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        found = {row.id: (row.status, row.attempts)
                 for row in session.scalars(select(OutboxMessage))}
        session.close()
    return found


def test_a_plugin_channel_gets_each_message_with_its_key_and_retries_a_failure(
        crm_make_app, relay):
    app = crm_make_app(plugins=["relay"])
    ids = add(app, 3)
    relay.FAIL_FIRST["event:1"] = 2
    now = utcnow()
    with app.app_context():
        assert drain(now=now).as_dict() == {"delivered": 2, "failed": 1, "dead": 0}
        assert drain(now=now).as_dict() == {"delivered": 0, "failed": 0, "dead": 0}
        assert drain(now=now + dt.timedelta(hours=1)).failed == 1
        assert drain(now=now + dt.timedelta(hours=2)).delivered == 1
    assert sorted(relay.DELIVERED) == [(ids[0], "event:0", 1), (ids[1], "event:1", 3),
                                       (ids[2], "event:2", 1)]
    assert statuses(app)[ids[1]] == ("sent", 3)


def test_unknown_channels_and_bad_payloads_or_keys_are_refused_clearly(crm_make_app, relay):
    app = crm_make_app(plugins=["relay"])
    with app.app_context():
        refusals = {
            "Unknown outbox channel 'fax' (known channels: mail, relay).":
                lambda: enqueue("fax", {"body": "x"}, "k"),
            "relay: a payload needs a 'body'": lambda: enqueue("relay", {}, "k"),
            "must be a JSON object": lambda: enqueue("relay", ["body"], "k"),  # type: ignore
            "must be plain JSON": lambda: enqueue("relay", {"body": {1, 2}}, "k"),
            "at most 200 characters": lambda: enqueue("relay", {"body": "x"}, "k" * 201),
            "control characters": lambda: enqueue("relay", {"body": "x"}, "a\nb"),
            "non-empty text": lambda: enqueue("relay", {"body": "x"}, " "),
            "lone surrogates": lambda: enqueue("relay", {"body": "\ud800"}, "k"),
            "mail: 'to' must be a list": lambda: enqueue("mail", {"subject": "s", "text": "t"}),
            "mail: 'subject' must be one line": lambda: enqueue(
                "mail", {"to": ["a@example.com"], "subject": "a\r\nBcc: b@example.com",
                         "text": "t"}),
            "mail: unknown field 'cc'": lambda: enqueue(
                "mail", {"to": ["a@example.com"], "subject": "s", "text": "t", "cc": []}),
        }
        for message, call in refusals.items():
            with pytest.raises(OutboxError, match=message.replace("(", r"\(").replace(
                    ")", r"\)").replace(".", r"\.")):
                call()
        get_session().rollback()
    assert statuses(app) == {}


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgresql",
                                                             marks=pytest.mark.postgres)])
def test_two_workers_never_deliver_the_same_message(crm_make_app, relay, database):
    app = crm_make_app(plugins=["relay"], database=database)
    ids = add(app, 40, sleep=0.01)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with app.app_context():
                drain()
        except BaseException as exc:  # reported by the test below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert relay.OVERLAPS == []
    assert sorted(message_id for message_id, _key, _attempt in relay.DELIVERED) == ids
    assert set(statuses(app).values()) == {("sent", 1)}


def test_a_worker_that_died_lets_its_claim_go_when_the_lease_ends(crm_make_app, relay):
    app = crm_make_app(plugins=["relay"])
    (message_id,) = add(app, 1)
    now = utcnow()
    with app.app_context():
        settings = outbox_settings()
        (claimed,) = claim(now, settings)  # a worker claims it, then dies
        assert claimed.id == message_id
        assert drain(now=now).delivered == 0  # another worker leaves it alone meanwhile
        after_lease = now + dt.timedelta(seconds=settings.lease + 1)
        assert drain(now=after_lease).delivered == 1
    assert relay.DELIVERED == [(message_id, "event:0", 2)]
    assert statuses(app)[message_id] == ("sent", 2)


def test_a_channel_name_registered_twice_stops_the_app_naming_both(crm_make_app,
                                                                   crm_install_plugin):
    crm_install_plugin("postie", """
from crm_core.toolkit import OutboxChannel, PluginInfo, hookimpl

PLUGIN = PluginInfo(name="postie", version="0.1.0", title="Postie")


@hookimpl
def crm_outbox_channels():
    return [OutboxChannel("mail", lambda payload, message: None)]
""")
    with pytest.raises(RegistryError, match="'mail' is registered twice: by plugin 'core' and "
                                            "by plugin 'postie'"):
        crm_make_app(plugins=["postie"], migrate=False)


def test_outbox_settings_are_checked_when_the_app_starts(crm_make_app):
    with pytest.raises(ConfigError, match="CRM_OUTBOX_MAX_ATTEMPTS must be a whole number"):
        crm_make_app(plugins=[], migrate=False, CRM_OUTBOX_MAX_ATTEMPTS="0")
    with pytest.raises(ConfigError, match="CRM_OUTBOX_BACKOFF_SECONDS"):
        crm_make_app(plugins=[], migrate=False, CRM_OUTBOX_BACKOFF_SECONDS="soon")
    app = crm_make_app(plugins=[], migrate=False, CRM_OUTBOX_MAX_ATTEMPTS="5")
    assert app.config["CRM_OUTBOX_MAX_ATTEMPTS"] == 5


def test_the_backoff_doubles_with_jitter_up_to_its_cap():
    settings = OutboxSettings(max_attempts=12, backoff=30, backoff_max=3600)
    for attempt, full in ((1, 30), (2, 60), (3, 120), (7, 1920), (8, 3600), (11, 3600)):
        delays = {settings.delay(attempt) for _ in range(50)}
        assert all(full / 2 <= delay <= full for delay in delays), (attempt, delays)
        assert len(delays) > 1  # jitter: failed messages do not retry in step


def test_beat_drains_the_outbox_every_minute(crm_make_app):
    app = crm_make_app(plugins=[], migrate=False)
    schedule = app.extensions["celery"].conf.beat_schedule
    assert schedule["core.outbox_drain"]["task"] == "core.outbox_drain"
    assert schedule["core.outbox_drain"]["schedule"].total_seconds() == 60
    assert "core.outbox_deliver" in app.extensions["crm"].tasks


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgresql",
                                                             marks=pytest.mark.postgres)])
def test_one_row_per_key_and_nothing_from_a_rollback_on_each_database(crm_make_app, relay,
                                                                      database):
    app = crm_make_app(plugins=["relay"], database=database)
    with app.app_context():
        session = get_session()
        enqueue("relay", {"body": "rolled back"}, "gone")
        session.rollback()
        first = enqueue("relay", {"body": "first"}, "same")
        assert enqueue("relay", {"body": "second"}, "same").id == first.id
        session.commit()
        assert enqueue("relay", {"body": "third"}, "same").id == first.id
        session.commit()
        assert drain().delivered == 1
    assert [key for _id, key, _attempt in relay.DELIVERED] == ["same"]
    assert list(statuses(app).values()) == [("sent", 1)]


def test_sent_messages_are_forgotten_after_the_keep_days_and_others_never(crm_make_app, relay):
    from crm_core.outbox.tasks import drain_due, purge

    app = crm_make_app(plugins=["relay"], CRM_OUTBOX_KEEP_DAYS=7)
    sent_id, failing_id = add(app, 2)
    relay.FAIL_FIRST["event:1"] = 99
    with app.app_context():
        assert drain_due() == {"delivered": 1, "failed": 1, "dead": 0, "purged": 0}
        assert purge(utcnow() + dt.timedelta(days=6)) == 0
        assert purge(utcnow() + dt.timedelta(days=8)) == 1
    assert list(statuses(app)) == [failing_id]
    with app.app_context():  # its key is forgotten with it
        assert enqueue("relay", {"body": "again"}, "event:0").id not in (sent_id, failing_id)


def _broker_messages(app) -> int:
    import sqlite3

    path = app.config["CRM_BROKER_URL"].removeprefix("sqla+sqlite:///")
    with sqlite3.connect(path) as broker:
        found = broker.execute("SELECT name FROM sqlite_master WHERE name = 'kombu_message'")
        if found.fetchone() is None:
            return 0
        return broker.execute("SELECT COUNT(*) FROM kombu_message").fetchone()[0]


def test_a_request_answers_before_the_worker_is_woken_and_then_wakes_it(crm_make_app, relay):
    """The worker is woken once the answer has been sent (the WSGI server closes it): the
    user does not wait for the broker, and the message still leaves at once."""
    from flask import Blueprint

    from crm_core.toolkit import public

    app = crm_make_app(plugins=["relay"], WTF_CSRF_ENABLED=False)
    bp = Blueprint("wake_test", __name__)

    @bp.post("/wake-test")
    @public
    def wake_test():
        enqueue("relay", {"body": "after the answer"}, "wake:1")
        get_session().commit()
        return "queued"

    app.register_blueprint(bp)
    before = _broker_messages(app)
    answer = app.test_client().post("/wake-test")
    assert answer.status_code == 200 and _broker_messages(app) == before
    answer.close()  # what the WSGI server does once the answer is sent
    assert _broker_messages(app) == before + 1
    with app.app_context():  # outside a request (a job, the CLI) it wakes at the commit
        enqueue("relay", {"body": "from a job"}, "wake:2")
        get_session().commit()
    assert _broker_messages(app) == before + 2
