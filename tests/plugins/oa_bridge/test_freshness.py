"""Timestamp windows and the replay guard for inbound callbacks."""

from __future__ import annotations

import threading

import pytest

from plugins.oa_bridge.protocol import CallbackRefused, MalformedCallback, Replayed, StaleTimestamp
from plugins.oa_bridge.protocol.freshness import (
    DEFAULT_WINDOW_SECONDS,
    InMemorySeenIds,
    check_timestamp,
    parse_timestamp,
    refuse_replay,
)

NOW = 1_700_000_000.0


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_default_window_is_five_minutes() -> None:
    assert DEFAULT_WINDOW_SECONDS == 300


@pytest.mark.parametrize("offset", [0, -299, 299, -300, 300])
def test_timestamps_inside_the_window_pass(offset: int) -> None:
    assert check_timestamp(str(int(NOW) + offset), clock=Clock()) == NOW + offset


def test_stale_timestamp_is_refused() -> None:
    with pytest.raises(StaleTimestamp) as caught:
        check_timestamp(str(int(NOW) - 301), clock=Clock())
    assert caught.value.reason == "timestamp too old"


def test_future_timestamp_is_refused() -> None:
    with pytest.raises(StaleTimestamp) as caught:
        check_timestamp(str(int(NOW) + 301), clock=Clock())
    assert caught.value.reason == "timestamp in the future"


def test_dingtalk_milliseconds_are_read_as_milliseconds() -> None:
    assert check_timestamp("1700000000123", unit="ms", clock=Clock()) == pytest.approx(NOW + 0.123)
    with pytest.raises(StaleTimestamp):  # the same digits read as seconds: far in the future
        check_timestamp("1700000000123", clock=Clock())


def test_the_published_vectors_timestamps_are_stale_today() -> None:
    with pytest.raises(StaleTimestamp):
        check_timestamp("1445827045067", unit="ms", clock=Clock())
    with pytest.raises(StaleTimestamp):
        check_timestamp("1409659813", clock=Clock())


def test_window_is_configurable() -> None:
    check_timestamp(str(int(NOW) - 3000), window_seconds=3600, clock=Clock())
    with pytest.raises(StaleTimestamp):
        check_timestamp(str(int(NOW) - 61), window_seconds=60, clock=Clock())
    with pytest.raises(ValueError):
        check_timestamp(str(int(NOW)), window_seconds=0, clock=Clock())


def test_feishu_schema1_fractional_ts_is_accepted() -> None:
    assert parse_timestamp("1502199207.7171419") == pytest.approx(1502199207.7171419)


@pytest.mark.parametrize("value", ["", "abc", "-5", "1e9", "nan", "inf", " ", "1" * 17, "0x10",
                                   True])
def test_a_timestamp_that_is_not_a_number_is_malformed(value) -> None:
    with pytest.raises(MalformedCallback):
        check_timestamp(value, clock=Clock())


def test_first_delivery_passes_and_the_retry_is_refused() -> None:
    seen = InMemorySeenIds(clock=Clock())
    refuse_replay(seen, "dt", "proc-1:finish")
    with pytest.raises(Replayed) as caught:
        refuse_replay(seen, "dt", "proc-1:finish")
    assert isinstance(caught.value, CallbackRefused) and caught.value.reason == "event already seen"


def test_ids_are_scoped_per_connection() -> None:
    seen = InMemorySeenIds(clock=Clock())
    refuse_replay(seen, "dingtalk-a", "ev-1")
    refuse_replay(seen, "dingtalk-b", "ev-1")
    refuse_replay(seen, "dingtalk-a", "ev-2")
    assert len(seen) == 3


def test_an_id_may_come_again_after_its_ttl() -> None:
    clock = Clock()
    seen = InMemorySeenIds(clock=clock)
    refuse_replay(seen, "wc", "ev", ttl_seconds=60)
    clock.now += 59
    with pytest.raises(Replayed):
        refuse_replay(seen, "wc", "ev", ttl_seconds=60)
    clock.now += 2
    refuse_replay(seen, "wc", "ev", ttl_seconds=60)


@pytest.mark.parametrize("event_id", [None, ""])
def test_a_missing_event_id_is_malformed(event_id) -> None:
    with pytest.raises(MalformedCallback):
        refuse_replay(InMemorySeenIds(), "fs", event_id)


def test_memory_is_bounded_dropping_expired_ids_first() -> None:
    clock = Clock()
    seen = InMemorySeenIds(clock=clock, max_entries=3)
    refuse_replay(seen, "s", "short", ttl_seconds=1)
    for name in ("a", "b"):
        refuse_replay(seen, "s", name)
    clock.now += 5
    refuse_replay(seen, "s", "c")
    assert len(seen) == 3
    with pytest.raises(Replayed):
        refuse_replay(seen, "s", "a")
    refuse_replay(seen, "s", "d")  # over the bound with nothing expired: the oldest ("a") goes
    assert len(seen) == 3
    refuse_replay(seen, "s", "a")


def test_concurrent_deliveries_of_one_id_are_processed_once() -> None:
    seen = InMemorySeenIds()
    results: list[bool] = []
    start = threading.Barrier(8)

    def deliver() -> None:
        start.wait()
        results.append(seen.add_if_new("wc", "same", ttl_seconds=60))

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 7 + [True]
