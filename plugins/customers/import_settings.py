"""An import's record, folder, settings and templates, and reading its header in the job.

The web request only stores the upload (``create_upload``) and queues a job; the job reads
the header row and the first rows (``read_header``) under the upload limits. The command
line reads the header in-process (``create_import``): it is no web worker.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, BinaryIO

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import DomainError, job_files_dir

from .import_files import guess_mapping, open_table, preview
from .models import IMPORT_KEYS, IMPORT_MODES, CustomerImport, ImportTemplate

__all__ = ["IMPORT_PERMISSION", "check_settings", "create_import", "create_upload",
           "find_template", "import_folder", "read_header", "save_template",
           "template_mapping"]

IMPORT_PERMISSION = "customers.customer.import"
SAMPLE = 5  # rows shown under the mapping


def import_folder(import_id: int) -> Path:
    """Where an import keeps its uploaded file and reports (under the job files folder)."""
    folder = job_files_dir() / "customers-imports" / str(import_id)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def create_upload(session: Session, stream: BinaryIO, filename: str, kind: str, *,
                  user_id: int, template_id: int | None = None) -> CustomerImport:
    """Record a new import of an uploaded file (status ``reading``) and store the file in
    the import's folder, unread: its header is read by the job (``read_header``), which maps
    the columns with the user's template ``template_id`` when given."""
    imp = CustomerImport(user_id=user_id, filename=Path(filename).name[:255] or f"file.{kind}",
                         stored_path="", status="reading",
                         mapping={"headers": [], "fields": [], "template_id": template_id})
    session.add(imp)
    session.flush()
    target = import_folder(imp.id) / f"upload.{kind}"
    with open(target, "wb") as handle:
        shutil.copyfileobj(stream, handle, 1 << 20)
    imp.stored_path = str(target)
    return imp


def read_header(session: Session, imp: CustomerImport,
                template: dict[str, str] | None = None) -> None:
    """Read the header row and the first rows of the import's file and guess the mapping
    (ImportFileError when the file cannot be imported). The caller commits."""
    with open_table(imp.stored_path, imp.filename) as table:
        headers, sample = preview(table, SAMPLE)
        encoding = table.encoding
    imp.encoding = encoding
    imp.mapping = {"headers": headers, "fields": guess_mapping(headers, template),
                   "sample": sample}
    imp.status = "uploaded"


def create_import(session: Session, source: Path, filename: str, *, user_id: int | None,
                  copy: bool = True, template: dict[str, str] | None = None) -> CustomerImport:
    """Record a new import of ``source`` (moved into the import's folder when ``copy``) and
    read its header row at once (for the command line and scripts; never in a web request).

    ImportFileError for an empty file, one of another kind, over a limit or without a
    header. The caller commits.
    """
    imp = CustomerImport(user_id=user_id, filename=Path(filename).name[:255],
                         stored_path=str(source), mapping={"headers": [], "fields": []})
    read_header(session, imp, template)
    session.add(imp)
    session.flush()
    if copy:
        target = import_folder(imp.id) / ("upload" + Path(filename).suffix.lower())
        shutil.move(str(source), target)
        imp.stored_path = str(target)
    return imp


def save_template(session: Session, owner_id: int, name: str, headers: list[str],
                  fields: list[str]) -> ImportTemplate:
    """Save (or replace) the user's mapping template ``name``: header text to field."""
    name = " ".join((name or "").split())
    if not name or len(name) > 100:
        raise DomainError(_("A template needs a name of at most %(max)d characters.", max=100))
    mapping = {header: field for header, field in zip(headers, fields, strict=False) if header}
    template = session.scalar(select(ImportTemplate).where(
        ImportTemplate.owner_id == owner_id, ImportTemplate.name == name))
    if template is None:
        template = ImportTemplate(owner_id=owner_id, name=name, mapping=mapping)
        session.add(template)
    else:
        template.mapping = mapping
    session.flush()
    return template


def find_template(session: Session, name: str, owner_id: int | None = None
                  ) -> ImportTemplate:
    """The template named ``name`` (the owner's when given); DomainError when none is."""
    query = select(ImportTemplate).where(ImportTemplate.name == name)
    if owner_id is not None:
        query = query.where(ImportTemplate.owner_id == owner_id)
    template = session.scalars(query.order_by(ImportTemplate.id)).first()
    if template is None:
        raise DomainError(_("There is no import template named %(name)s.", name=name))
    return template


def template_mapping(session: Session, template_id: int | None, owner_id: int | None
                     ) -> dict[str, Any] | None:
    """The mapping of the owner's template ``template_id`` (None: none or not theirs)."""
    if not template_id or owner_id is None:
        return None
    template = session.get(ImportTemplate, template_id)
    return template.mapping if template is not None and template.owner_id == owner_id \
        else None


def check_settings(fields: list[str], mode: str, key: str | None) -> None:
    """Refuse a mapping without a name column, an unknown mode, or a key not mapped."""
    if "name" not in fields:
        raise DomainError(_("Choose the column that holds the customer name."))
    if mode not in IMPORT_MODES:
        raise DomainError(_("Choose insert, upsert or skip."))
    if key is not None and key not in IMPORT_KEYS:
        raise DomainError(_("Choose code, uscc, phone or email as the key."))
    if mode != "insert" and key is None:
        raise DomainError(_("Upsert and skip need a key: code, uscc, phone or email."))
    if key and (key + "s" if key in ("phone", "email") else key) not in fields:
        raise DomainError(_("The key %(key)s is not one of the mapped columns.", key=key))
