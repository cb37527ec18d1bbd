"""Bounded integers: what PostgreSQL can store, in URLs and in API schemas.

Ids are PostgreSQL ``integer`` (32-bit); other integer columns are at most ``bigint``. A
larger number in a URL answers 404, in a JSON body or query string 422, never a 500 from the
database.
"""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter, ValidationError

INT32_MAX = 2_147_483_647
INT64_MIN = -9_223_372_036_854_775_808
INT64_MAX = 9_223_372_036_854_775_807


class BoundedIntConverter(IntegerConverter):
    """Flask's ``int`` converter, but only 0..``INT32_MAX``: a larger id answers 404.

    ``<int(max=...):n>`` may narrow it further; it cannot widen past ``INT32_MAX``. Out of
    range is a 404 at once, whatever the method: letting the rule not match made Werkzeug
    answer 405 for ``PATCH /api/v1/customers/2147483648``, because only some methods' rules
    were left to compare.
    """

    def __init__(self, map: Any, fixed_digits: int = 0, min: int | None = None,
                 max: int | None = None, signed: bool = False) -> None:
        bound = INT32_MAX if max is None else _smaller(max, INT32_MAX)
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=bound, signed=signed)


    def to_python(self, value: str) -> Any:
        """The number in the URL, or 404 when it is out of this converter's range."""
        try:
            return super().to_python(value)
        except ValidationError:
            raise NotFound() from None


def _smaller(a: int, b: int) -> int:
    # ``min`` is shadowed by the converter's argument of that name.
    return a if a < b else b


class Id(fields.Integer):
    """A marshmallow field for a record id: an integer 1..``INT32_MAX``.

    ``toolkit.Id(required=True)``; extra validators are added to the range check.
    """

    def __init__(self, **kwargs: Any) -> None:
        validators = kwargs.pop("validate", None)
        checks: list[Any] = [validate.Range(min=1, max=INT32_MAX)]
        if callable(validators):
            checks.append(validators)
        elif validators:
            checks.extend(validators)
        super().__init__(validate=checks, **kwargs)
