"""The export job of a resource: the records the job's owner may see, filtered as the list
was, written in batches by keyset to CSV or XLSX (``open_writer``) in constant memory, and
downloaded through the kernel's job download route."""

from __future__ import annotations

import time
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..audit.messages import Lowered
from ..audit.service import record_event
from ..custom_fields.records import export_extra
from ..db import get_session
from ..jobs.service import job_files_dir
from ..sensitive.access import viewing_as
from ..tabular import FORMATS, open_writer
from . import query
from .declaration import Resource
from .display import cell


def export_job(resource: Resource, job: Any, fmt: str = "csv",
               args: dict[str, Any] | None = None, batch: int = 1000,
               pause: float = 0.0) -> str:
    """Write the records to ``<job files>/<name>-<job id>.<fmt>``; a job without
    an owner (started by the system) writes every record. ``pause`` slows each batch (to
    watch the progress)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    session, owner, model = get_session(), job.owner_id, resource.model
    values = query.parse_filters(resource, args or {})
    found = query.statement(resource, owner, values, str((args or {}).get("q") or ""),
                            every=owner is None)
    total = session.scalar(select(func.count()).select_from(found.subquery())) or 0
    columns = resource.exported()
    custom_headers, custom_cells = export_extra(session, model, owner)  # custom fields
    path = job_files_dir() / f"{resource.name}-{job.id}.{fmt}"
    written, last = 0, 0
    # the owner's masks: a file without view_sensitive carries 139****5678
    with open_writer(fmt, path, sheet_title=str(resource.label)[:31]) as writer, \
            viewing_as(owner):
        writer.write([str(resource.column_label(name)) for name in columns]
                     + custom_headers)
        while True:
            rows = list(session.scalars(found.where(model.id > last).order_by(model.id)
                                        .limit(batch)))
            if not rows:
                break
            names = query.related_names(session, resource, rows, columns)
            writer.write_rows([[cell(resource, row, name, names, html=False)
                                for name in columns] + custom_cells(row) for row in rows])
            written, last = written + len(rows), rows[-1].id
            job.progress(100 * written / total if total else 100,
                         _l("%(done)d / %(total)d", done=written, total=total))
            if pause:
                time.sleep(pause)
    job.result_file(path)
    label = Lowered(resource.label_one if written == 1 and resource.label_one
                    else resource.label)
    record_event("export", _l("Exported %(count)d %(records)s (%(format)s)", count=written,
                              records=label, format=fmt),
                 model=model, changes={"filters": args or {}, "format": fmt}, session=session)
    session.commit()
    return _l("Exported %(count)d %(records)s", count=written, records=label)
