"""The customers export job, its download route and its command (the file itself is
``export_file``'s job; its public names are re-exported here).

``start_export`` (called by the list page's bulk "export") queues the job
``customers.export_customers``; the job writes the customers its owner may see with
``write_export`` into ``<job files>/customers-<job id>-<owner id>.<fmt>``, reports progress
and records an ``export`` entry in the operation log. ``crm customers export`` does the same
in-process for every customer (an operator's command). ``GET /customers/exports/<job id>``
downloads the file of one's own export job.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
from flask import abort, send_file
from flask_babel import force_locale, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import Session

from crm_core.toolkit import (
    DomainError,
    JobHandle,
    TaskSpec,
    db,
    job_files_dir,
    plugin_config,
    record_event,
    require_permission,
    start_job,
)

from ..blueprint import bp
from ..models import Customer, Segment
from ..segments.services import filters_from_json, filters_to_json
from .services import BATCH, HEADERS, N_, customer_tags, write_export
from .writers import FORMATS

__all__ = ["BATCH", "EXPORT_PERMISSION", "HEADERS", "customer_tags", "start_export",
           "write_export"]

EXPORT_PERMISSION = "customers.customer.export"
TASK = "customers.export_customers"


def _record(session: Session, fmt: str, count: int, path: Path, **details: Any) -> None:
    record_event("export", _l("Exported %(count)d customers as %(format)s", count=count,
                              format=fmt.upper()), model=Customer,
                 changes={"format": fmt, "rows": count, "file": path.name,
                          **{key: value for key, value in details.items()
                             if value not in (None, {}, [])}}, session=session)


# ---------------------------------------------------------------------------- the job


def start_export(session: Session, *, user: Any, fmt: str = "csv", ids: list[int] | None = None,
                 filters: Mapping[str, Any] | None = None, segment_id: int | None = None,
                 query: str | None = None) -> Any:
    """Queue an export of what ``user`` may see; returns the Job (``id``, ``state``...).

    ``ids`` (a selection), ``filters`` (those of ``services.list_customers``), a saved
    segment's filters (``segment_id``, which the user must be allowed to see) and a quick
    search ``query`` narrow it together. The file is in ``user``'s language; open the job's
    page (``core_jobs.job_page``) to follow it and download it from
    ``customers.download_export``. Raises DomainError for a bad format, filter or a user
    without ``customers.customer.export``.
    """
    if fmt not in FORMATS:
        raise DomainError(_("Export as csv or xlsx."))
    if not user.has_permission(EXPORT_PERMISSION):
        raise DomainError(_("You may not export customers."))
    combined = dict(filters or {})
    if segment_id is not None:
        from ..segments import services as segments

        combined = {**segments.get_segment(session, segment_id, user=user).filters,
                    **combined}
    combined = filters_to_json(combined)  # refuses an unknown filter now, not in the job
    locale = str(get_locale() or "en")
    return start_job(TASK, kind=N_("Export customers"), owner_id=user.id, fmt=fmt,
                     ids=None if ids is None else [int(i) for i in ids], filters=combined,
                     query=query or None, segment_id=segment_id, locale=locale)


def _search_ids(session: Session, query: str, user: Any, filters: Mapping[str, Any]
                ) -> list[int]:
    from ..search import services as search

    limit = int(plugin_config("customers", "export_search_limit", 10000))
    return [customer.id for customer in search.search_customers(
        session, query, user=user, limit=limit, filters=filters)]


def export_customers(job: JobHandle, fmt: str = "csv", ids: list[int] | None = None,
                     filters: dict[str, Any] | None = None, query: str | None = None,
                     segment_id: int | None = None, locale: str = "en") -> str:
    """The job: write what the job's owner may see, record it in the operation log."""
    session = db.session
    owner = job.owner_id
    if owner is None:
        raise DomainError("an export job needs the user who started it")
    path = job_files_dir() / f"customers-{job.id}-{owner}.{fmt}"
    with force_locale(locale):
        if query:
            found = _search_ids(session, query, owner, filters_from_json(filters or {}))
            ids = found if ids is None else sorted(set(ids) & set(found))

        def progress(done: int, total: int) -> None:
            job.progress(100 * done / total if total else 100,
                         _("%(done)d of %(total)d customers written", done=done, total=total))

        # Written under another name first, so a download never gets a half-written file.
        partial = path.with_name(path.name + ".part")
        count = write_export(session, partial, fmt=fmt, user=owner, ids=ids, filters=filters,
                             progress=progress)
        partial.replace(path)
        job.result_file(path)
        _record(session, fmt, count, path, filters=filters, segment_id=segment_id,
                query=query, selected=None if ids is None else len(ids))
        session.commit()
        return ngettext("Exported %(num)d customer", "Exported %(num)d customers", count)


def celery_tasks() -> list[TaskSpec]:
    """The export job, ``customers.export_customers``."""
    return [TaskSpec("export_customers", export_customers, job=True)]


# ---------------------------------------------------------------------------- download


@bp.get("/exports/<int:job_id>")
@require_permission(EXPORT_PERMISSION)
def download_export(job_id: int) -> Any:
    """Download the file of one's own export job (404 for anyone else's or while running)."""
    folder = job_files_dir()
    for fmt in FORMATS:
        path = folder / f"customers-{job_id}-{current_user.id}.{fmt}"
        if path.is_file():
            return send_file(path.resolve(), as_attachment=True,
                             download_name=f"customers-{job_id}.{fmt}")
    abort(404)


# ---------------------------------------------------------------------------- CLI


@click.command("export")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="csv", show_default=True,
              help="The file format.")
@click.option("--out", "out", type=click.Path(dir_okay=False, writable=True), required=True,
              help="The file to write.")
@click.option("--segment", "segment_id", type=int, help="Only the customers of this segment.")
@click.option("--customer-type-id", type=int)
@click.option("--industry")
@click.option("--province")
@click.option("--city")
@click.option("--kind", type=click.Choice(["company", "person"]))
@click.option("--level")
@click.option("--status")
@click.option("--owner-id", type=int)
@click.option("--tag-id", type=int)
@click.option("--lang", default="en", show_default=True,
              help="Language of the headers (en or zh_CN).")
def export_command(fmt: str, out: str, segment_id: int | None, lang: str,
                   **filters: Any) -> None:
    """Write every customer (not the trash) to a CSV or XLSX file, with filters."""
    session = db.session
    chosen = {key: value for key, value in filters.items() if value not in (None, "")}
    if segment_id is not None:
        segment = session.get(Segment, segment_id)
        if segment is None:
            raise DomainError(f"There is no segment {segment_id}.")
        chosen = {**(segment.filters or {}), **chosen}
    path = Path(out)

    def progress(done: int, total: int) -> None:
        click.echo(f"{done}/{total} customers written", err=True)

    with force_locale(lang):
        count = write_export(session, path, fmt=fmt, user=None, filters=chosen,
                             progress=progress)
    _record(session, fmt, count, path, filters=filters_to_json(chosen), segment_id=segment_id)
    session.commit()
    click.echo(f"Exported {count} customer{'' if count == 1 else 's'} to {path.resolve()}")


def cli_commands() -> list[click.Command]:
    """``crm customers export``."""
    return [export_command]
