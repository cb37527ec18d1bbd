"""The declared specs, an import's record and settings, its header, saved mappings.

The web request only stores the upload (``create_upload``) and queues a job; the job reads
the header row and the first rows (``read_header``) under the upload limits. The command
line reads the header in-process (``create_import``).
"""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path
from typing import Any, BinaryIO

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..crypto.cipher import seal_json
from ..errors import DomainError, RegistryError
from ..tabular import Table, TabularError, open_table
from .files import import_folder, import_rows
from .mapping import check_header_row, guess_field, guess_mapping, header_lookup
from .models import SAMPLE_PURPOSE, ImportTemplate, TabularImport
from .spec import MODES, ImportSpec

__all__ = ["check_settings", "create_import", "create_upload", "find_template", "get_spec",
           "import_specs", "read_header", "save_template", "template_mapping"]

SAMPLE = 5  # rows shown under the mapping
HEADER_CHARS = 200  # a header (and a sample cell) as the mapping page shows it


def import_specs() -> dict[str, ImportSpec]:
    """Every enabled plugin's specs by id (``crm_import_specs`` and the Resources that offer
    import), read once per app."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    found = app.extensions.get("crm_import_specs")
    if found is None:
        found = {}
        from ..resources.importing import resource_specs  # a Resource offering "import"

        for specs in [*app.extensions["crm"].hook.crm_import_specs(),
                      resource_specs(app.extensions["crm"].pm)]:
            for spec in specs or ():
                if not isinstance(spec, ImportSpec):
                    raise RegistryError(f"crm_import_specs returned {spec!r}, expected "
                                        "toolkit.ImportSpec")
                if spec.id in found:
                    raise RegistryError(f"two import specs are called {spec.id!r}")
                found[spec.id] = spec
        app.extensions["crm_import_specs"] = found
    return found


def get_spec(spec_id: str) -> ImportSpec:
    """The spec ``spec_id``; DomainError when no enabled plugin declares it."""
    spec = import_specs().get(spec_id)
    if spec is None:
        raise DomainError(_("Nothing called %(name)s can be imported.", name=spec_id))
    from ..custom_fields.importing import with_custom_fields

    return with_custom_fields(spec)  # the custom fields defined now, as columns to map


def create_upload(session: Session, spec: ImportSpec, stream: BinaryIO, filename: str,
                  kind: str, *, user_id: int, template_id: int | None = None
                  ) -> TabularImport:
    """Record a new import of an uploaded file (status ``reading``) and store the file,
    unread: the job reads its header (``read_header``)."""
    imp = TabularImport(spec=spec.id, user_id=user_id, stored_path="", status="reading",
                        filename=Path(filename).name[:255] or f"file.{kind}",
                        mapping={"headers": [], "fields": [], "template_id": template_id})
    session.add(imp)
    session.flush()
    target = import_folder(imp.id) / f"upload.{kind}"
    with open(target, "wb") as handle:
        shutil.copyfileobj(stream, handle, 1 << 20)
    imp.stored_path = str(target)
    return imp


def read_header(spec: ImportSpec, imp: TabularImport,
                template: dict[str, str] | None = None) -> None:
    """Read the header row and first rows of the import's file and guess the mapping
    (TabularError when the file cannot be imported). The caller commits."""
    chosen = str((imp.mapping or {}).get("sheet") or "")
    table = open_table(imp.stored_path, imp.filename, sheet=chosen)
    if not chosen and len(table.sheets) > 1:
        with table:
            better = _sheet_of_columns(spec, imp, table)
        table = open_table(imp.stored_path, imp.filename, sheet=better)
    with table:
        check_header_row(spec, table)
        headers = [header[:HEADER_CHARS] for header in table.headers]
        sample = [[cell[:HEADER_CHARS] for cell in row.cells]
                  for row in itertools.islice(import_rows(table), SAMPLE) if not row.total]
        imp.encoding = table.encoding
        # rows above the header (a report's title) were left out: the mapping step says so
        found = {"header_row": table.header_number} if table.skipped else {}
        if len(table.sheets) > 1:  # the mapping step offers to read another sheet
            found |= {"sheet": table.sheet, "sheets": table.sheets}
    # sealed: the first rows may hold what encrypted columns protect (ID-card numbers)
    imp.mapping = {"headers": headers, "sample": seal_json(sample, SAMPLE_PURPOSE),
                   "fields": guess_mapping(table.headers, spec.fields, template), **found}
    imp.status = "uploaded"


def _sheet_of_columns(spec: ImportSpec, imp: TabularImport, table: Table) -> str:
    """A later sheet of the workbook to read when the user chose none and none of the column
    names of ``table`` (its first sheet holding a cell) is a field's, but a later sheet's
    are (a workbook that begins with a sheet of instructions); "" to keep ``table``."""
    lookup = header_lookup(spec.fields)
    if table.sheet not in table.sheets or \
            any(guess_field(header, lookup) for header in table.headers):
        return ""
    for name in table.sheets[table.sheets.index(table.sheet) + 1:]:
        try:
            with open_table(imp.stored_path, imp.filename, sheet=name) as later:
                if any(guess_field(header, lookup) for header in later.headers):
                    return name
        except TabularError:  # an empty sheet
            continue
    return ""


def create_import(session: Session, spec: ImportSpec, source: Path, *, user_id: int | None,
                  template: dict[str, str] | None = None, sheet: str = "") -> TabularImport:
    """Record an import of ``source`` where it is (of a workbook, the sheet named ``sheet``)
    and read its header at once (the command line; never a web request). The caller
    commits."""
    imp = TabularImport(spec=spec.id, user_id=user_id, filename=source.name[:255],
                        stored_path=str(source), mapping={"sheet": sheet} if sheet else {})
    read_header(spec, imp, template)
    session.add(imp)
    session.flush()
    return imp


def save_template(session: Session, spec: ImportSpec, owner_id: int, name: str,
                  headers: list[str], fields: list[str]) -> ImportTemplate:
    """Save (or replace) the user's mapping template ``name`` for ``spec``."""
    name = " ".join((name or "").split())
    if not name or len(name) > 100:
        raise DomainError(_("A template needs a name of at most %(max)d characters.", max=100))
    mapping = {header: field for header, field in zip(headers, fields, strict=False) if header}
    template = session.scalar(select(ImportTemplate).where(
        ImportTemplate.owner_id == owner_id, ImportTemplate.spec == spec.id,
        ImportTemplate.name == name))
    if template is None:
        template = ImportTemplate(owner_id=owner_id, spec=spec.id, name=name, mapping=mapping)
        session.add(template)
    else:
        template.mapping = mapping
    session.flush()
    return template


def find_template(session: Session, spec: ImportSpec, name: str,
                  owner_id: int | None = None) -> ImportTemplate:
    """The spec's template named ``name`` (the owner's when given); DomainError if none."""
    query = select(ImportTemplate).where(ImportTemplate.spec == spec.id,
                                         ImportTemplate.name == name)
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


def check_settings(spec: ImportSpec, fields: list[str], mode: str, key: str | None) -> None:
    """Refuse a mapping without a required field, an unknown mode, or a key not mapped."""
    for item in spec.fields:
        if item.required and item.name not in fields:
            raise DomainError(_("Choose the column that holds %(field)s.",
                                field=str(item.label)))
    if mode not in MODES:
        raise DomainError(_("Choose insert, upsert or skip."))
    if key and key not in spec.keys:
        raise DomainError(_("Choose one of %(keys)s as the key.", keys=", ".join(spec.keys)))
    if mode != "insert" and not key:
        raise DomainError(_("Upsert and skip need a key."))
    item = spec.key_field(key) if key else None
    if key and (item is None or item.name not in fields):
        raise DomainError(_("The key %(key)s is not one of the mapped columns.", key=key))
