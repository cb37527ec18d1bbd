"""Tracking hits in a Redis list, folded into the tables by a beat task.

When ``CRM_MARKETING_TRACKING_REDIS_URL`` is set (or the Celery broker is ``redis://…``),
every web worker appends its hits to one Redis list (one ``RPUSH`` per hit, no database
write) and the beat task ``marketing.fold_tracking_hits`` (every ``FOLD_SECONDS``) takes them
off in slices of ``SLICE`` and writes each slice in one transaction with the same once-only
stamps as a hit counted alone (``batching.write_hits``). Taking a slice is atomic
(``LRANGE`` + ``LTRIM`` in one ``MULTI``), so two folds never take the same hit; a slice whose
write fails goes back to the head of the list for the next fold. Hits survive a web worker
that dies; the campaign's figures lag by up to the fold interval. A part of the marketing
plugin: ``celery_tasks()``, ``beat_schedule()``.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from flask import Flask, current_app

from crm_core.toolkit import ScheduleEntry, TaskSpec

log = logging.getLogger(__name__)

__all__ = ["FOLD_SECONDS", "RedisHits", "fold", "redis_url"]

FOLD_SECONDS = 5
SLICE = 20_000
#: a fold stops after this many slices; the next one goes on
MAX_SLICES = 50
DEFAULT_KEY = "crm:marketing:tracking_hits"
_CLIENT = "marketing_tracking_redis"


def redis_url(app: Flask) -> str:
    """The Redis the hits go to: ``CRM_MARKETING_TRACKING_REDIS_URL``, else a ``redis://``
    broker, else "" (the worker's memory)."""
    url = str(app.config.get("CRM_MARKETING_TRACKING_REDIS_URL") or "")
    if url:
        return url
    broker = str(app.config.get("CRM_BROKER_URL") or "")
    return broker if broker.startswith(("redis://", "rediss://")) else ""


def _key(app: Flask) -> str:
    return str(app.config.get("CRM_MARKETING_TRACKING_REDIS_KEY") or DEFAULT_KEY)


def _client(app: Flask) -> Any:
    client = app.extensions.get(_CLIENT)
    if client is None:
        import redis

        client = app.extensions.setdefault(
            _CLIENT, redis.Redis.from_url(redis_url(app), socket_timeout=2,
                                          socket_connect_timeout=2))
    return client


def _stamp() -> str:
    return f"{dt.datetime.now(dt.UTC).timestamp():.3f}"


class RedisHits:
    """The buffer of ``batching.buffer_of`` when Redis is configured."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def _push(self, item: str) -> None:
        try:
            _client(self.app).rpush(_key(self.app), item)
        except Exception:  # noqa: BLE001  (Redis down: the visitor is answered, uncounted)
            log.warning("a tracking hit was not kept: Redis did not answer", exc_info=True)

    def add_open(self, campaign_id: int, member_id: int) -> None:
        """Keep one open."""
        self._push(f"o {campaign_id} {member_id} {_stamp()}")

    def add_click(self, campaign_id: int, member_id: int, link_id: int, is_cta: bool) -> None:
        """Keep one click."""
        self._push(f"c {campaign_id} {member_id} {link_id} {int(is_cta)} {_stamp()}")

    def flush(self) -> None:
        """Fold what the list holds now (tests; the beat task does it in production)."""
        fold(self.app)


def _parse(raw: list[bytes]) -> tuple[list[Any], list[Any]]:
    opens: list[Any] = []
    clicks: list[Any] = []
    for item in raw:
        try:
            kind, *values = item.decode("ascii").split()
            at = dt.datetime.fromtimestamp(float(values[-1]), dt.UTC)
            numbers = [int(value) for value in values[:-1]]
            if kind == "o" and len(numbers) == 2:
                opens.append((numbers[0], numbers[1], at))
            elif kind == "c" and len(numbers) == 4:
                clicks.append((numbers[0], numbers[1], numbers[2], bool(numbers[3]), at))
        except (ValueError, IndexError, UnicodeDecodeError):
            log.warning("a tracking hit that cannot be read was dropped: %r", item[:100])
    return opens, clicks


def fold(app: Flask | None = None) -> int:
    """Write the hits the list holds into the tables, a slice per transaction; answers how
    many hits were taken."""
    from .batching import write_hits

    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    if not redis_url(app):
        return 0
    client, key, taken = _client(app), _key(app), 0
    for _slice in range(MAX_SLICES):
        with client.pipeline(transaction=True) as pipe:
            pipe.lrange(key, 0, SLICE - 1)
            pipe.ltrim(key, SLICE, -1)
            raw, _trimmed = pipe.execute()
        if not raw:
            break
        opens, clicks = _parse(raw)
        with app.app_context():
            session = app.extensions["crm_db"].new_session()
            try:
                write_hits(session, opens, clicks)
                session.commit()
            except Exception:
                session.rollback()
                client.lpush(key, *reversed(raw))  # back to the head, for the next fold
                log.exception("%d tracking hits were not folded; they wait for the next fold",
                              len(raw))
                raise
            finally:
                session.close()
        taken += len(raw)
        if len(raw) < SLICE:
            break
    return taken


def fold_task() -> int:
    """The beat task: fold the Redis list (nothing without Redis)."""
    return fold()


def celery_tasks() -> list[TaskSpec]:
    """``marketing.fold_tracking_hits``."""
    return [TaskSpec("fold_tracking_hits", fold_task)]


def beat_schedule() -> list[ScheduleEntry]:
    """Fold the buffered hits every ``FOLD_SECONDS``."""
    return [ScheduleEntry("fold_tracking_hits", "fold_tracking_hits", seconds=FOLD_SECONDS)]
