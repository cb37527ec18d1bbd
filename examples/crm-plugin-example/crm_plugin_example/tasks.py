"""The export job: runs in a Celery worker and reports progress to its Job."""

from __future__ import annotations

import time

from crm_core.toolkit import JobHandle, db, job_files_dir

from . import services


def export_notes(job: JobHandle, batch: int = 100, pause: float = 0.0) -> str:
    """Export to ``<job files>/notes-<job id>.csv`` the notes the job's owner may see.

    A worker has no signed-in user: the job's owner (who started it) stands in, so the file
    holds only what they may see; a job the system started (no owner) exports every note.
    ``pause`` slows each batch.
    """
    path = job_files_dir() / f"notes-{job.id}.csv"

    def progress(percent: float) -> None:
        job.progress(percent, f"{int(percent)} % written")
        if pause:
            time.sleep(pause)

    count = services.export_notes(db.session, path, progress, batch=batch, user=job.owner_id)
    job.result_file(path)
    return f"Exported {count} notes"
