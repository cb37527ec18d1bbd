"""The customers REST API under /api/v1: customers, contacts, contact records, types, tags.
"""

from __future__ import annotations
