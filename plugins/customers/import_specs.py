"""What the customers plugin imports through the kernel's generic machinery
(``crm_import_specs``): the tag list, ``customers.tag``, at ``/imports/customers.tag/``.

Customers themselves still go through the plugin's own wizard (``importing``), which checks
more than the generic one (likely duplicates, code and USCC uniqueness, the trash).
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

from crm_core.toolkit import CellError, ImportField, ImportSpec

from .models import Tag

__all__ = ["TAG_SPEC", "import_specs"]

TAG_SPEC = "customers.tag"
_COLOUR = re.compile(r"#?([0-9a-fA-F]{6})")


def _colour(text: str) -> str:
    match = _COLOUR.fullmatch(text)
    if match is None:
        raise CellError(_l("a colour is written #RRGGBB, such as #0d6efd"))
    return "#" + match[1].lower()


def import_specs() -> list[ImportSpec]:
    """The tag list: name (the key) and colour; needs ``customers.tag.manage``."""
    return [ImportSpec(
        id=TAG_SPEC, title=_l("Customer tags"), model=Tag,
        permission="customers.tag.manage", export_permission="customers.tag.manage",
        fields=[ImportField("name", _l("Tag"), aliases=("标签", "标签名", "名称", "tag", "name"),
                            required=True, max_length=50),
                ImportField("colour", _l("Colour"), aliases=("颜色", "color", "colour"),
                            clean=_colour)],
        keys=("name",))]
