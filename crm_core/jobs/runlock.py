"""The lock a running job holds while its process lives.

With ``task_acks_late`` the broker delivers a job's message again when the worker that ran it
dies (kill -9, out of memory, a lost host), but Redis also delivers it again when a live run
outlasts its visibility timeout. The lock tells the two apart: on PostgreSQL a session-level
advisory lock on a connection the run keeps, on SQLite (one host) an ``flock`` on a file of
the jobs folder. The database or the operating system releases it when the process dies,
so a second delivery takes it over only from a dead run.
"""

from __future__ import annotations

import fcntl
import logging
import time
from typing import Any

from flask import current_app
from sqlalchemy import text

log = logging.getLogger(__name__)

NAMESPACE = 0x4A4F4253  # "JOBS": the first key of the advisory lock, the job id the second
WAIT_SECONDS = 5.0  # a process killed a moment ago: its connection may still be closing


class RunLock:
    """``acquire`` before running job ``job_id``, ``release`` after."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self._connection: Any = None
        self._file: Any = None

    def acquire(self, wait: float | None = None) -> bool:
        """Take the lock, trying for ``wait`` seconds (``WAIT_SECONDS``); False while a live
        run holds it."""
        deadline = time.monotonic() + (WAIT_SECONDS if wait is None else wait)
        while not self._try():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.5)
        return True

    def _try(self) -> bool:
        engine = current_app.extensions["crm_db"].engine
        if engine.dialect.name == "postgresql":
            connection = engine.connect()
            held = connection.execute(text("SELECT pg_try_advisory_lock(:space, :job)"),
                                      {"space": NAMESPACE, "job": self.job_id}).scalar()
            connection.commit()  # a session lock outlives the transaction
            if held:
                self._connection = connection
            else:
                connection.close()
            return bool(held)
        from .service import job_files_dir

        folder = job_files_dir() / "locks"
        folder.mkdir(exist_ok=True)
        handle = (folder / f"job-{self.job_id}.lock").open("w")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._file = handle
        return True

    def release(self) -> None:
        """Let the lock go (a connection goes back to the pool unlocked, or not at all)."""
        if self._connection is not None:
            connection, self._connection = self._connection, None
            try:
                connection.execute(text("SELECT pg_advisory_unlock(:space, :job)"),
                                   {"space": NAMESPACE, "job": self.job_id})
                connection.commit()
            except Exception:  # noqa: BLE001  (a lost connection took the lock with it)
                log.warning("job %s: could not unlock; dropping the connection", self.job_id,
                            exc_info=True)
                connection.invalidate()
            connection.close()
        if self._file is not None:
            self._file.close()  # closing the file lets the flock go
            self._file = None
