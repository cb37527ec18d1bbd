"""Exporting customers to CSV (UTF-8 with BOM, formulas neutralised) and XLSX as a
background job in constant memory, within the user's data scope.
"""

from __future__ import annotations
