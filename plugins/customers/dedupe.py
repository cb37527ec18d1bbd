"""Likely duplicates (USCC, phone, email, normalised name, pinyin), the possible-duplicates
page and merging customers.
"""

from __future__ import annotations
