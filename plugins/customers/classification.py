"""Classification: customer types, tags with colours, amount bands, and the dashboard
widgets read from precomputed counts (``customers_stat``).
"""

from __future__ import annotations
