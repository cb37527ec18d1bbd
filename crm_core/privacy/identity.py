"""Who a personal-data request is about: a ``Person`` found by e-mail and/or phone.

Plugins store e-mails and phones as people typed them or normalised in their own way
(customers keeps E.164, a public form keeps what was typed). The kernel normalises the
request once (e-mail: full width folded, trimmed, lower case; phone: separators dropped,
``0086``/``+86`` read as China, a Chinese mobile or landline to E.164) and hands plugins the
forms a stored value may take, and ``matches_*`` to compare a stored value whatever its form.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from ..errors import CrmError

#: What replaces an erased name or text (kept short: it must fit every column).
ERASED = "[erased]"
#: The domain of the placeholder addresses an erasure leaves where a column must stay
#: unique or non-empty (``.invalid`` is reserved: mail to it can never be delivered).
ERASED_DOMAIN = "erased.invalid"

_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}"
                    r"[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")
_SEPARATORS = re.compile(r"[\s\-\.\(\)（）—－]")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0(?:(?:10|2\d)[1-9]\d{7}|[3-9]\d{2}[1-9]\d{6,7})")
_INTERNATIONAL = re.compile(r"\+[1-9]\d{6,14}")


class PersonError(CrmError):
    """The e-mail or phone of a personal-data request cannot be read; the message says why."""


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip()


def normalise_email(raw: str | None) -> str | None:
    """``raw`` trimmed, full width folded and in lower case; None for nothing typed.

    Raises ``PersonError`` unless it looks like name@domain.tld."""
    text = _fold(raw or "")
    if not text:
        return None
    if len(text) > 254 or not _EMAIL.fullmatch(text) or ".." in text:
        raise PersonError(f"{raw!r} is not an e-mail address such as name@example.com.")
    return text.lower()


def normalise_phone(raw: str | None, *, strict: bool = True) -> str | None:
    """The E.164 form of a Chinese mobile or landline (``+8613812345678``) or an
    international number (``+16502530000``); an extension is dropped. None for nothing typed.

    With ``strict`` (a request typed in) an unreadable number raises ``PersonError``;
    without (a stored value being compared) it gives None.
    """
    text = _fold(raw or "").split(";", 1)[0]
    if not text:
        return None
    digits = _SEPARATORS.sub("", text)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if digits.startswith("+86"):
        digits = digits[3:]
        if not digits.startswith("0") and not _MOBILE.fullmatch(digits):
            digits = "0" + digits  # +86 10 1234 5678: the area code without its trunk 0
    elif digits.startswith("+"):
        if _INTERNATIONAL.fullmatch(digits):
            return digits
        digits = ""
    if _MOBILE.fullmatch(digits):
        return "+86" + digits
    if _LANDLINE.fullmatch(digits):
        return "+86" + digits[1:]
    if strict:
        raise PersonError(
            f"{raw!r} is not a phone number: enter a Chinese mobile (13812345678), a landline "
            "with its area code (010-12345678) or an international number starting with +.")
    return None


def phone_forms(e164: str) -> list[str]:
    """The texts a stored phone may be written as: E.164, and for a Chinese number its
    national form (``13812345678``, ``01012345678``) and with ``0086``."""
    forms = [e164]
    if e164.startswith("+86"):
        national = e164[3:]
        forms += [national if _MOBILE.fullmatch(national) else "0" + national,
                  "0086" + national, "86" + national]
    return forms


@dataclass
class Person:
    """The subject of a request: a normalised ``email`` and/or ``phone`` (E.164).

    ``refs`` collects, during ``crm_privacy_locate``, the records plugins found to be this
    person's (``"customers.person": {12}``), so other plugins can follow them; ``names`` the
    names those records give the person (``"张三"``), for blanking them in texts tied to
    those records.
    """

    email: str | None = None
    phone: str | None = None
    refs: dict[str, set[int]] = field(default_factory=dict)
    names: set[str] = field(default_factory=set)
    #: further addresses and numbers located records show to be the person's own (a person
    #: customer's other e-mails and phones): matched, scrubbed and suppressed like the
    #: request's own (``add_email``, ``add_phone``)
    other_emails: set[str] = field(default_factory=set)
    other_phones: set[str] = field(default_factory=set)

    @classmethod
    def from_request(cls, email: str | None = None, phone: str | None = None) -> Person:
        """A person from what an operator typed; ``PersonError`` when neither can be read."""
        person = cls(normalise_email(email), normalise_phone(phone))
        if person.email is None and person.phone is None:
            raise PersonError("Give the person's e-mail (--email) or phone (--phone), or both.")
        return person

    @property
    def label(self) -> str:
        """The e-mail and phone as one text (for screens, never for the operation log)."""
        return " / ".join(value for value in (self.email, self.phone) if value)

    @property
    def numbers(self) -> list[str]:
        """The person's phone numbers (E.164): the request's first, then the others found."""
        return ([self.phone] if self.phone else []) + sorted(self.other_phones - {self.phone})

    @property
    def phones(self) -> list[str]:
        """Every form the person's numbers may be stored in (empty without a phone)."""
        return [form for number in self.numbers for form in phone_forms(number)]

    @property
    def emails(self) -> list[str]:
        """The person's e-mails (the request's first): for ``column.in_(person.emails)``."""
        return ([self.email] if self.email else []) + sorted(self.other_emails - {self.email})

    def add_email(self, value: Any) -> None:
        """Record another address of the person's own (normalised; unreadable: ignored)."""
        text = _fold(value if isinstance(value, str) else "").lower()
        if text and _EMAIL.fullmatch(text):
            self.other_emails.add(text)

    def add_phone(self, value: Any) -> None:
        """Record another number of the person's own (normalised; unreadable: ignored)."""
        number = normalise_phone(value if isinstance(value, str) else "", strict=False)
        if number:
            self.other_phones.add(number)

    def matches_email(self, value: Any) -> bool:
        """Whether a stored e-mail is this person's (case and spaces ignored)."""
        return isinstance(value, str) and bool(value) and _fold(value).lower() in self.emails

    def matches_phone(self, value: Any) -> bool:
        """Whether a stored phone is this person's, in whatever form it was stored."""
        return isinstance(value, str) and bool(value) and \
            normalise_phone(value, strict=False) in self.numbers

    def add(self, kind: str, ids: Any) -> None:
        """Record that the records ``ids`` of ``kind`` (``"customers.contact"``) are this
        person's."""
        self.refs.setdefault(kind, set()).update(int(value) for value in ids)

    def ids(self, kind: str) -> set[int]:
        """The ids of ``kind`` a plugin located (empty when none or the plugin is off)."""
        return set(self.refs.get(kind, ()))

    def add_name(self, name: str | None) -> None:
        """Record a name the person is known by (two characters or more: a shorter one
        would blank too much when texts are scrubbed)."""
        name = " ".join((name or "").split())
        if len(name) >= 2:
            self.names.add(name)

    def scrub_names(self, text: str | None) -> str:
        """``text`` with the person's known names replaced by ``ERASED`` (longest first).
        Use it only on texts tied to the person's records: a name alone is not unique."""
        result = text or ""
        for name in sorted(self.names, key=len, reverse=True):
            result = result.replace(name, ERASED)
        return result

    def scrub(self, text: str | None) -> str:
        """``text`` with every occurrence of the person's e-mails (any case) and of their
        numbers' forms replaced by ``ERASED``."""
        result = text or ""
        for email in self.emails:
            result = re.sub(re.escape(email), ERASED, result, flags=re.IGNORECASE)
        for form in sorted(self.phones, key=len, reverse=True):
            result = result.replace(form, ERASED)
        return result

    def mentioned_in(self, text: str | None) -> bool:
        """Whether ``text`` holds the e-mail or a form of the phone."""
        return bool(text) and self.scrub(text) != text
