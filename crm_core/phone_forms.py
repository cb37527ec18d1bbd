"""Forms of a Chinese phone number that more than one part of the platform writes."""

from __future__ import annotations

__all__ = ["china_national_form"]


def china_national_form(national: str) -> str:
    """The national form of a Chinese number from its national significant digits (what
    follows +86): a landline's starts with its trunk 0 (``010…``); a mobile's (11 digits
    from 1), a 400 or an 800 number's has none."""
    if len(national) == 11 and national.startswith("1") \
            or len(national) == 10 and national.startswith(("400", "800")):
        return national
    return "0" + national
