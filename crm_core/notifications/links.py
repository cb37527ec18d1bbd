"""A notification's link: a path on this site, never an address elsewhere (open redirect)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..edge.paths import same_site_path
from ..edge.text import is_clean
from ..errors import DomainError
from .models import LINK_LENGTH


class LinkError(DomainError):
    """The link is not a path on this site."""

    field = "link"


def site_path(link: str | None) -> str | None:
    """``link`` if it is a site-relative path (``/customers/12?tab=deals``), None if empty.

    Refused (``LinkError``): absolute URLs (``https://…``), scheme-relative ones
    (``//evil.example``), backslashes (browsers read ``/\\evil.example`` as ``//``), other
    schemes (``javascript:``), control characters, spaces, and links over 500 characters.
    """
    if link is None or link == "":
        return None
    if not isinstance(link, str) or len(link) > LINK_LENGTH or not is_clean(link):
        raise LinkError(_l("A notification's link must be a path on this site of at most "
                           "500 characters."))
    if same_site_path(link) is None or any(ord(char) < 33 or ord(char) == 127
                                           for char in link):
        raise LinkError(_l("A notification's link must be a path on this site, such as "
                           "/customers/12, not an address elsewhere."))
    return link
