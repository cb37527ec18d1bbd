"""The customer list page: filters, sortable columns, keyset pages, bulk actions on a
selection or the whole filtered set, saved filters (segments) and the trash.
"""

from __future__ import annotations
