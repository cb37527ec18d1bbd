"""The limits every uploaded table is read under, from settings with sane defaults.

A small upload can unpack to gigabytes (an XLSX is a zip of XML), hold millions of rows or
one cell of hundreds of megabytes. The readers stop as soon as a limit is passed, with a
message that names it, so one file can never take a worker's memory or hours of its time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

# Setting name for each limit (``CRM_UPLOAD_MAX_ROWS`` = ``Limits.max_rows``).
SETTINGS = {
    "max_rows": "CRM_UPLOAD_MAX_ROWS",
    "max_columns": "CRM_UPLOAD_MAX_COLUMNS",
    "max_cell_chars": "CRM_UPLOAD_MAX_CELL_CHARS",
    "max_line_chars": "CRM_UPLOAD_MAX_LINE_CHARS",
    "max_unzipped_mb": "CRM_UPLOAD_MAX_UNZIPPED_MB",
    "max_zip_ratio": "CRM_UPLOAD_MAX_ZIP_RATIO",
    "max_shared_strings": "CRM_UPLOAD_MAX_SHARED_STRINGS",
    "max_shared_strings_mb": "CRM_UPLOAD_MAX_SHARED_STRINGS_MB",
}


HEAD_ROOM = 20  # lines above the data: the header, and titles or blank lines above it


@dataclass(frozen=True)
class Limits:
    """What a table may hold. ``Limits.from_config(app.config)`` reads the settings."""

    max_rows: int = 1_000_000
    max_columns: int = 1_000
    max_cell_chars: int = 32_767  # Excel's own limit for one cell
    max_line_chars: int = 4_194_304  # one physical CSV line
    max_unzipped_mb: int = 1_024  # an XLSX's parts, unpacked
    max_zip_ratio: int = 200  # unpacked / packed size of one XLSX part (over 1 MiB)
    max_shared_strings: int = 1_000_000
    max_shared_strings_mb: int = 200  # the shared-strings part unpacked (held in memory)

    @property
    def max_physical_rows(self) -> int:
        """Rows the readers let through before any is told data from header: ``max_rows``
        data rows may sit under a header and a few title or blank lines (``HEAD_ROOM``), so a
        file of exactly ``max_rows`` customers is read; ``Table.rows`` counts data rows."""
        return self.max_rows + HEAD_ROOM

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None = None, **overrides: int) -> Limits:
        """The limits of ``config`` (default: the running app's), then ``overrides``."""
        if config is None:
            from flask import current_app, has_app_context

            config = current_app.config if has_app_context() else {}
        values = {field.name: int(config.get(SETTINGS[field.name], field.default))
                  for field in fields(cls)}
        values.update(overrides)
        return cls(**values)
