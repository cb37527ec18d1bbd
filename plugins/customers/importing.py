"""Importing customers from CSV (UTF-8, UTF-8 with BOM, GB18030/GBK) and XLSX: column
mapping, dry run, modes, background job, error report and undo.
"""

from __future__ import annotations
