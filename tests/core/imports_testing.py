"""A small import spec for the kernel's import tests: the example plugin's notes.

Notes have a title (the key; a title starting with "bad" is refused by its cleaner), a body,
and a "category" relation column whose names live in ``CATEGORIES`` (created on demand);
the writer puts the category id at the start of the body, so the tests can see it.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pluggy
from sqlalchemy import select

from crm_core.db import get_session
from crm_core.imports.jobs import import_task
from crm_core.imports.models import TabularImport
from crm_core.jobs.models import Job
from crm_core.toolkit import (
    CellError,
    ImportField,
    ImportSpec,
    JobHandle,
    Relation,
    WriteBatch,
    WriteResult,
    table_writer,
)

hookimpl = pluggy.HookimplMarker("crm")
CATEGORIES: dict[str, int] = {}
CREATED: list[str] = []


def find_categories(_session: Any, names: list[str]) -> dict[str, int]:
    return {name: CATEGORIES[name] for name in names if name in CATEGORIES}


def create_categories(_session: Any, names: list[str]) -> dict[str, int]:
    for name in names:
        CATEGORIES[name] = len(CATEGORIES) + 1
        CREATED.append(name)
    return {name: CATEGORIES[name] for name in names}


def clean_title(text: str) -> str:
    if text.lower().startswith("bad"):
        raise CellError("a title may not start with “bad”")
    return text


def spec() -> ImportSpec:
    from crm_plugin_example.models import Note

    plain = table_writer(Note)

    def write(batch: WriteBatch) -> WriteResult:
        for values in batch.inserts:
            category = values.pop("category", None)
            if category is not None:
                values["body"] = f"[{category}] {values.get('body', '')}"
            if values.get("body") == "explode":
                raise RuntimeError("the writer failed")
        for _id, values in batch.updates:
            values.pop("category", None)
        return plain(batch)

    return ImportSpec(
        id="example.note", title="Notes", model=Note, permission="example.note.create",
        fields=[
            ImportField("title", "Title", aliases=("标题", "主题", "subject"), required=True,
                        clean=clean_title, max_length=200),
            ImportField("body", "Body", aliases=("正文", "内容", "text")),
            ImportField("category", "Category", aliases=("类别",),
                        relation=Relation(find_categories, create_categories,
                                          noun="categories")),
        ],
        keys=("title",), write=write,
        defaults=lambda user_id: {"owner_id": user_id})


class SpecPlugin:
    """Declares the spec, as a plugin's ``crm_import_specs`` would."""

    @hookimpl
    def crm_import_specs(self) -> list[ImportSpec]:
        return [spec()]


def install(app: Any) -> None:
    """Register the spec on ``app`` and reset the category store."""
    CATEGORIES.clear()
    CREATED.clear()
    app.extensions["crm"].pm.register(SpecPlugin(), name="imports_test")
    app.extensions.pop("crm_import_specs", None)


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def run_queued(app: Any, import_id: int) -> None:
    """Run the job the page or service queued for ``import_id``, in-process."""
    from crm_core.errors import DomainError

    with app.app_context():
        session = get_session()
        imp = session.get(TabularImport, import_id)
        job = session.get(Job, imp.job_id)
        step = {"Read import file": "read", "Check import": "check", "Import": "run",
                "Undo import": "undo"}[job.kind]
        job_id = job.id
    with app.app_context():
        try:
            import_task(JobHandle(job_id), import_id, step)
        except DomainError:
            pass


def titles(app: Any) -> list[str]:
    from crm_plugin_example.models import Note

    with app.app_context():
        return list(get_session().scalars(select(Note.title).order_by(Note.id)))
