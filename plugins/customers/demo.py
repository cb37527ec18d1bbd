"""Demo data for ``crm seed``: realistic Chinese and English customers, contacts and contact
records, inserted in bulk.
"""

from __future__ import annotations
