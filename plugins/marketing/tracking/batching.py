"""Counting opens and clicks in batches: no database write per hit
(``CRM_MARKETING_TRACKING_BATCH_SECONDS``, default 2; 0: every hit is counted in its own
request, for a small install that wants its figures at once).

With ``CRM_MARKETING_TRACKING_REDIS_URL`` set (or a ``redis://`` broker) hits go to a Redis
list and the beat task ``marketing.fold_tracking_hits`` folds them into the tables
(``redis_hits.py``): every worker's hits in one place, none lost when a worker dies.
Otherwise a hit is kept in the worker's memory and a thread of the worker writes what
gathered every interval in one transaction: one ``members.advance`` per stage for all the
recipients (the same once-only stamps as a hit counted alone), one upsert per link click,
a response per call to action clicked for the first time. The stage times are those of the
batch's first hit (within the interval). What a worker holds is written when it exits
normally (after the batch being written); a worker killed outright loses what it held (the
recipients still reach their links). A worker holds at most ``MAX_PENDING`` hits: beyond,
hits are answered but not counted, and the log says how many.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import threading
import time
from collections import Counter
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select

from crm_core.toolkit import plugin_config, utcnow

from ..members import advance
from ..models import CampaignMember
from . import redis_hits, services

log = logging.getLogger(__name__)

__all__ = ["DEFAULT_SECONDS", "batch_seconds", "buffer_of", "flush_now", "write_hits"]

_EXTENSION = "marketing_tracking_buffer"
#: the hits a worker may hold unwritten; more are answered but not counted (and logged)
MAX_PENDING = 200_000
#: the interval when nothing is configured: the campaign's figures lag by about this much
DEFAULT_SECONDS = 2.0


def batch_seconds() -> float:
    """The batching interval of the running app (0: no batching)."""
    try:
        seconds = float(plugin_config("marketing", "tracking_batch_seconds", DEFAULT_SECONDS)
                        or 0)
    except (TypeError, ValueError):
        return 0.0
    return max(0.0, min(seconds, 60.0))


class HitBuffer:
    """The hits a worker gathered since its last write, and the thread that writes them."""

    def __init__(self, app: Flask, seconds: float) -> None:
        self.app, self.seconds = app, seconds
        self.lock = threading.Lock()
        # held while a batch is written: the exit's last write waits for the thread's
        self.writing = threading.Lock()
        self.dropped = 0
        self.opens: list[tuple[int, int, dt.datetime]] = []
        self.clicks: list[tuple[int, int, int, bool, dt.datetime]] = []
        self.thread: threading.Thread | None = None

    def _full(self) -> bool:
        # the writer falls behind (a flood): count no more than memory may hold
        if len(self.opens) + len(self.clicks) < MAX_PENDING:
            return False
        self.dropped += 1
        return True

    def add_open(self, campaign_id: int, member_id: int) -> None:
        """Keep one open."""
        with self.lock:
            if not self._full():
                self.opens.append((campaign_id, member_id, utcnow()))
        self._start()

    def add_click(self, campaign_id: int, member_id: int, link_id: int, is_cta: bool) -> None:
        """Keep one click."""
        with self.lock:
            if not self._full():
                self.clicks.append((campaign_id, member_id, link_id, is_cta, utcnow()))
        self._start()

    def _start(self) -> None:
        # started in the worker that serves (after a fork), once
        if self.thread is None or not self.thread.is_alive():
            with self.lock:
                if self.thread is None or not self.thread.is_alive():
                    self.thread = threading.Thread(target=self._loop, daemon=True,
                                                   name="marketing-tracking-batch")
                    self.thread.start()

    def _loop(self) -> None:
        while True:
            time.sleep(self.seconds)
            self.flush()

    def flush(self) -> None:
        """Write what gathered; a failure is logged and those hits are dropped."""
        with self.writing:
            self._write()

    def _write(self) -> None:
        with self.lock:
            opens, clicks, self.opens, self.clicks = self.opens, self.clicks, [], []
            dropped, self.dropped = self.dropped, 0
        if dropped:
            log.warning("%d tracking hits were not counted: the writer fell behind", dropped)
        if not opens and not clicks:
            return
        with self.app.app_context():
            session = self.app.extensions["crm_db"].new_session()
            try:
                write_hits(session, opens, clicks)
                session.commit()
            except Exception:  # noqa: BLE001  (a batch lost is logged, the worker goes on)
                session.rollback()
                log.exception("a batch of %d opens and %d clicks was not counted",
                              len(opens), len(clicks))
            finally:
                session.close()


def write_hits(session: Any, opens: list[tuple[int, int, dt.datetime]],
           clicks: list[tuple[int, int, int, bool, dt.datetime]]) -> None:
    named = {(campaign_id, member_id) for campaign_id, member_id, *_rest in [*opens, *clicks]}
    known = {(row.campaign_id, row.id): row for row in session.execute(
        select(CampaignMember.id, CampaignMember.campaign_id, CampaignMember.email,
               CampaignMember.customer_id, CampaignMember.contact_id)
        .where(CampaignMember.id.in_([member_id for _campaign, member_id in named])))}
    opened = [hit for hit in opens if (hit[0], hit[1]) in known]
    clicked = [hit for hit in clicks if (hit[0], hit[1]) in known]
    stages = {"delivered": opened + clicked, "opened": opened + clicked, "clicked": clicked}
    for stage, hits in stages.items():
        if hits:
            advance(session, sorted({hit[1] for hit in hits}), stage,
                    min(hit[-1] for hit in hits))
    per_link = Counter((hit[2], hit[1]) for hit in clicked)
    last = {(hit[2], hit[1]): hit[-1] for hit in clicked}
    cta = {(hit[2], hit[1]): (hit[0], hit[3]) for hit in clicked}
    for (link_id, member_id), count in per_link.items():
        total = services.add_link_clicks(session, link_id, member_id, count,
                                         last[(link_id, member_id)])
        campaign_id, is_cta = cta[(link_id, member_id)]
        if is_cta and total == count:
            services.respond(session, campaign_id, known[(campaign_id, member_id)])


def buffer_of(app: Flask | None = None) -> Any:
    """The running app's buffer when batching is on (a ``RedisHits`` or a ``HitBuffer``,
    both with ``add_open``/``add_click``/``flush``), else None."""
    seconds = batch_seconds()
    if not seconds:
        return None
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    found = app.extensions.get(_EXTENSION)
    if found is None and redis_hits.redis_url(app):
        found = app.extensions.setdefault(_EXTENSION, redis_hits.RedisHits(app))
    if found is None:
        found = app.extensions.setdefault(_EXTENSION, HitBuffer(app, seconds))
        atexit.register(found.flush)
    return found


def flush_now(app: Flask | None = None) -> None:
    """Write the buffered hits at once (tests, a worker's shutdown)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    found = app.extensions.get(_EXTENSION)
    if found is not None:
        found.flush()
