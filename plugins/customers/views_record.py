"""One customer's pages: create and edit forms, the 360° page (basics, contacts, the
contact-record timeline, follow-ups, other plugins' panels) and the follow-ups widget.
"""

from __future__ import annotations
