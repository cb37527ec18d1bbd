"""The export job: runs in a Celery worker and reports progress to its Job."""

from __future__ import annotations

import time

from crm_core.toolkit import JobHandle, db, job_files_dir

from . import services


def export_notes(job: JobHandle, user_id: int | None = None, batch: int = 100,
                 pause: float = 0.0) -> str:
    """Export to ``<job files>/notes-<job id>.csv`` the notes user ``user_id`` may see.

    A worker has no signed-in user, so the page that starts the job passes the user's id;
    without one (a job the system started) every note is exported. ``pause`` slows each
    batch.
    """
    path = job_files_dir() / f"notes-{job.id}.csv"

    def progress(percent: float) -> None:
        job.progress(percent, f"{int(percent)} % written")
        if pause:
            time.sleep(pause)

    count = services.export_notes(db.session, path, progress, batch=batch, user=user_id)
    job.result_file(path)
    return f"Exported {count} notes"
