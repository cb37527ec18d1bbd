"""Forms of records with sensitive fields, for users who see masks: the form shows the
masks, and a mask sent back unchanged keeps the stored value (it is never saved).

``protect_form(form, kind, record)`` after building a form of ``record``: each declared
field the form has renders its stored values masked (whatever the form was filled from),
a masked value that comes back is replaced by the stored value it masks before the form
validates, and any other masked text is refused with a field error.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms.validators import StopValidation

from .access import CURRENT, declaration, may_see
from .masks import is_masked, mask

__all__ = ["protect_form", "restore_masked"]

_TOKEN = re.compile(r"[^\n\r,;，；、]+")
MASKED_ERROR = _l("Type the whole value: a masked value cannot be saved.")


def _stored_list(stored: Any) -> list[str]:
    if stored is None or stored == "":
        return []
    if isinstance(stored, list | tuple):
        return [str(item) for item in stored if item not in (None, "")]
    return [str(stored)]


def restore_masked(sent: Any, stored: Any, value_kind: str) -> Any:
    """``sent`` (a form's text, or a list of texts) with each mask of a stored value
    replaced by that value (each stored value used once)."""
    pool = [(mask(value_kind, value), value) for value in _stored_list(stored)]

    def back(token: str) -> str:
        text = token.strip()
        if not is_masked(text):
            return token
        for index, (masked, value) in enumerate(pool):
            if masked == text:
                del pool[index]
                return token.replace(text, value)
        return token

    if isinstance(sent, list | tuple):
        return [back(str(item)) if item is not None else item for item in sent]
    if not isinstance(sent, str):
        return sent
    if not isinstance(stored, list | tuple):
        return back(sent)
    return _TOKEN.sub(lambda match: back(match.group(0)), sent)


def _refuse_masked(_form: Any, field: Any) -> None:
    values = field.data if isinstance(field.data, list | tuple) else [field.data]
    if any(is_masked(value) for value in values if isinstance(value, str)):
        raise StopValidation(str(MASKED_ERROR))


def _shown(render: Callable[[], str], stored: Any, value_kind: str) -> Callable[[], str]:
    """The field's own rendering with every stored value in it masked (longest first, so a
    value containing another is masked whole)."""
    values = sorted(_stored_list(stored), key=len, reverse=True)

    def value() -> str:
        text = render()
        for clear in values:
            text = text.replace(clear, mask(value_kind, clear))
        return text

    return value


def protect_form(form: Any, kind: str, record: Any, user: Any = CURRENT) -> Any:
    """Keep ``record``'s sensitive values off ``form`` for ``user`` (see the module); the
    form is returned. Nothing changes for a user who sees them in clear, or for a new
    record (nothing stored to hide)."""
    spec = declaration(kind)
    if spec is None or record is None or may_see(kind, user):
        return form
    submitted = form.is_submitted()
    for name, value_kind in spec.fields.items():
        if name not in form._fields:  # noqa: SLF001 - WTForms' field table
            continue
        field, stored = form[name], spec.read(record, name)
        if submitted:
            field.data = restore_masked(field.data, stored, value_kind)
            field.validators = [_refuse_masked, *field.validators]
        field._value = _shown(field._value, stored, value_kind)  # noqa: SLF001
    return form
