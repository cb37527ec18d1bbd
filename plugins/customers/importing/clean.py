"""Checking imported rows: one file row in, clean customer values (or its problems) out.

``RowCleaner`` (the customer spec's ``cleaner``; it gives the kernel's ``CleanRow``) applies
the same rules as the customers services (``validation``), with
shortcuts for the values most cells hold (a bare mobile number, a USCC typed as stored), and
sets the department from the owner through ``ownership.department_of_owner``, the one place
of that rule.
"""

from __future__ import annotations

import datetime as dt
import operator
import re
from functools import lru_cache
from types import SimpleNamespace
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from crm_core.toolkit import (
    CleanRow,
    Row,
    custom_fields,
    in_every_language,
    user_scope,
    user_timezone,
    utcnow,
)

from ..models import STATUS_LABELS, Customer
from ..names import infer_kind, spell_name
from ..records.custom import KIND as CUSTOM_KIND
from ..records.ownership import department_of_owner, user_table
from ..records.regions import country_code, match_city, match_province, split_region
from ..records.search_index import customer_document
from ..records.sensitive import SENSITIVE_CLEANERS
from ..validation import (
    _LANDLINE,
    _MOBILE,
    NOTES_MAX,
    USCC_ALPHABET,
    WEBSITE_MAX,
    FieldError,
    check_list_size,
    normalise_email,
    normalise_phone,
    normalise_uscc,
    normalise_website,
)
from .dates import created_moment, follow_up_day, past_moment
from .follow_ups import FOLLOW_UP_FIELDS, follow_up_note, follow_up_record
from .notes import noted_under_header

__all__ = ["SPLIT", "RowCleaner", "UnknownOwner", "infer_kind"]

_TABLE = Customer.__table__
SPLIT = re.compile(r"[,;，；、/\n]+")
_KINDS = {"company": "company", "公司": "company", "企业": "company", "单位": "company",
          "机构": "company", "person": "person", "个人": "person", "individual": "person"}
# A web address as most cells hold it, which ``normalise_website`` would keep as it is.
_PLAIN_URL = re.compile(r"https?://[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*(?:/[A-Za-z0-9._~/-]*)?")
_TEXT = ("industry", "province", "city", "address", "source", "level", "status")
_PLACES = ("province", "city")  # spelled as the region lists do after the row (``_place``)
_REGION_MAX = 200  # a region column's cell: a province, a city and a district
# Words after a phone number; no leading \s*, which would backtrack over a long run of spaces
_ANNOTATION = re.compile(r"[(（]([^()（）\d]+)[)）]\s*$")
# Statuses as other systems' exports write them, by the status the platform knows; the
# platform's own labels in English and Chinese are added (``_status_words``).
_STATUS_SYNONYMS = {"active": ("正常", "有效", "合作中", "成交客户", "已成交"),
                    "prospect": ("潜在", "意向", "意向客户", "跟进中", "lead"),
                    "inactive": ("休眠", "沉睡", "停用", "暂停合作", "dormant"),
                    "lost": ("流失", "丢失", "流失客户", "churned")}


class RowCleaner:
    """Checks and normalises rows for a mapping (one field name, or "", per column)."""

    # the kernel maps columns to custom fields (``custom.<key>``): ``_custom`` stores them
    takes_custom_fields = True

    def __init__(self, session: Session, headers: list[str], fields: list[str], *,
                 user_id: int | None = None, create_missing: bool = False,
                 dry_run: bool = False, options: dict[str, str] | None = None) -> None:
        self.session, self.headers, self.fields = session, headers, fields
        # The kind of a row without one: "infer" (from its name) or the one chosen.
        self.kind = (options or {}).get("kind", "infer")
        # Customer types and tags are relation columns: their names go to ``names`` and the
        # kernel finds them (or creates, or lists at the check, the missing ones).
        self.create_missing, self.dry_run = create_missing, dry_run
        # With each plain text field's length limit: those cells need no more than a check.
        self._mapped = [(index, header, name, _TABLE.c[name].type.length
                         if name in _TEXT and name not in _PLACES else 0)
                        for index, (header, name) in enumerate(zip(headers, fields,
                                                                   strict=False)) if name]
        # Columns such as 微信 or 联系人 go to the notes under their header ("微信：wx_123").
        self._note_headers = {index: header for index, header, name, _limit in self._mapped
                              if name == "notes" and noted_under_header(header)}
        self.default_owner = user_id
        # An importer who sees only their own customers imports only customers they own:
        # one owned by someone else would leave their sight the moment it is written.
        self._only_owner = (user_id if user_id is not None
                            and user_scope(user_id, "customers.customer") == "own" else None)
        self._users: dict[str, tuple[int, int | None]] = {}
        self._default_department = self._user(user_id)[1] if user_id else None
        self._custom_fields: dict[str, Any] | None = None  # read at the first custom cell
        self._zone: dt.tzinfo | None = None  # the importer's, read at the first date

    def _user(self, key: int | str) -> tuple[int, int | None]:
        """The owner's id and the department that follows it (``ownership``, the one rule)."""
        cache_key = str(key)
        if cache_key not in self._users:
            try:
                found = self._user_id(key)
            except UnknownOwner:
                self._users[cache_key] = None  # asked once, not once a row
                raise
            self._users[cache_key] = (found, department_of_owner(self.session, found))
        user = self._users[cache_key]
        if user is None:
            raise UnknownOwner(key)
        if self._only_owner is not None and user[0] != self._only_owner:
            raise FieldError("owner", _("You may import only customers you own: leave the owner "
                                        "empty or give your own user name."))
        return user

    def _user_id(self, key: int | str) -> int:
        """The user with this id, user name, or else e-mail or display name (other systems'
        exports name owners as people do: "张伟"); UnknownOwner when none is, FieldError
        when several are."""
        users = user_table()
        column = users.c.id if isinstance(key, int) else users.c.username
        found = self.session.scalar(select(users.c.id).where(column == key))
        if found is not None:
            return found
        if isinstance(key, int):
            raise UnknownOwner(key)
        named = self.session.scalars(select(users.c.id).where(
            users.c.is_active.is_(True),
            or_(users.c.display_name == key, func.lower(users.c.email) == key.lower()))
            .limit(2)).all()
        if len(named) > 1:
            raise FieldError("owner", _("Several users are called %(name)s: give the user "
                                        "name instead.", name=key))
        if not named:
            raise UnknownOwner(key)
        return named[0]

    @property
    def zone(self) -> dt.tzinfo:
        """The importer's time zone, in which the file's dates without one are read."""
        if self._zone is None:
            zone = self.session.scalar(select(user_table().c.timezone).where(
                user_table().c.id == self.default_owner)) if self.default_owner else None
            self._zone = user_timezone(SimpleNamespace(timezone=zone))
        return self._zone

    def clean(self, row: Row) -> CleanRow:
        """The row's clean values, or every problem found, each naming its column."""
        result = CleanRow(row)
        cells, values = row.cells, result.values
        named = False
        for index, header, name, limit in self._mapped:
            cell = cells[index]
            if not cell:
                continue
            if limit and len(cell) <= limit:
                values[name] = cell.strip()
                continue
            named = named or name == "name"
            if index in self._note_headers:
                cell = f"{self._note_headers[index]}：{cell.strip()}"
            try:
                self._clean_field(values, name, cell, result.names)
            except UnknownOwner as exc:  # another system's owner: kept in the notes
                result.warnings.append(f"{header}: {exc}")
                values.setdefault("noted", []).append(f"{header}：{cell.strip()}")
            except FieldError as exc:
                result.errors.append(f"{header}: {exc}")
        if "noted" in values:  # with the notes the row has, else a new customer's own
            said = "\n".join(values.pop("noted"))
            if "notes" not in values:
                result.defaults["notes"] = said
            elif not result.errors:
                try:
                    self._clean_field(values, "notes", said, result.names)
                except FieldError as exc:
                    result.errors.append(str(exc))
        if not named:
            result.errors.insert(0, _("A customer needs a name."))
        if "owner_id" not in result.values and self.default_owner is not None:
            result.defaults.update(owner_id=self.default_owner,
                                   department_id=self._default_department)
        if "name" in values and not result.errors:
            # The search document, but for its id and code (known at the insert): built
            # here, where a large file is cleaned in a second process (kernel ``parallel``).
            result.defaults["search_document"] = customer_document(
                0, values["name"], None, phones=values.get("phones", ()),
                emails=values.get("emails", ()), syllables=values.pop("name_syllables"))
        if "created_at" in values:  # an update keeps the customer's own creation time; a
            # new one was changed (imported) now, so the list still shows it first
            result.defaults["created_at"] = values.pop("created_at")
            result.defaults["updated_at"] = utcnow()
        if FOLLOW_UP_FIELDS.intersection(values):  # a new customer's, as a contact record
            result.defaults["follow_up"] = follow_up_record(values)
        status = values.get("status")
        if status:  # "潜在客户", "Prospect" or "已流失" as the status the platform knows
            values["status"] = _status_words().get(status.casefold(), status)
        if "region" in values:
            _region(values, values.pop("region"))
        if ("province" in values or "city" in values) and values.get("country", "CN") == "CN":
            _place(values)
        if "kind" not in values and "name" in values:
            # No kind in the row: a new customer gets the one its name says (an update keeps
            # its own).
            result.defaults["kind"] = self.kind if self.kind in ("company", "person") \
                else infer_kind(values["name"], values.get("uscc"))
        return result

    def _clean_field(self, values: dict[str, Any], name: str, cell: str,
                     names: dict[str, list[str]]) -> None:
        if name == "name":
            text = " ".join(cell.split())
            if len(text) > 200:
                raise FieldError(name, _("A customer name has at most %(max)d characters.",
                                         max=200))
            values["name"] = text
            # The name's syllables go along for its search document (bulk.insert_customers).
            values["name_key"], values["pinyin_key"], values["name_syllables"] = \
                spell_name(text)
        elif name == "code":
            code = cell.strip().upper()
            if len(code) > 40:
                raise FieldError(name, _("A customer code has at most %(max)d characters.",
                                         max=40))
            values["code"] = code
        elif name == "kind":
            kind = _KINDS.get(cell.strip().casefold())
            if kind is None:
                raise FieldError(name, _("Write company (公司) or person (个人), not "
                                         "\"%(value)s\".", value=cell))
            values["kind"] = kind
        elif name in ("phones", "emails"):
            check = _phone if name == "phones" else normalise_email
            found = values.setdefault(name, [])
            for part in SPLIT.split(cell):
                if part := part.strip():
                    said = _ANNOTATION.search(part) if name == "phones" else None
                    if said is not None:  # "13912345678（微信同号）": the words go to the notes
                        part = part[:said.start()].rstrip()
                        values.setdefault("noted", []).append(f"{part}：{said.group(1)}")
                    value = check(part, name)
                    if value not in found:
                        found.append(value)
            check_list_size(found, name)
        elif name == "uscc":
            values["uscc"] = _uscc(cell)
        elif name in SENSITIVE_CLEANERS:  # stored encrypted (records/sensitive.py)
            values[name] = SENSITIVE_CLEANERS[name](cell)
        elif name.startswith(custom_fields.PREFIX):  # an administrator's field
            self._custom(values, name, cell)
        elif name == "created_at":  # when another system created it: a new customer's date
            values["created_at"] = created_moment(cell, self.zone)
        elif name == "last_contact_at":  # the other system's follow-up (``follow_up_record``)
            values[name] = past_moment(cell, self.zone, name)
        elif name == "follow_up_on":
            values[name] = follow_up_day(cell, self.zone, name)
        elif name == "follow_up_note":
            values[name] = follow_up_note(cell)
        elif name == "country":
            country = country_code(cell)  # "CN", "中国", "China"
            if country is None:
                raise FieldError(name, _("Enter the country as its two-letter code, such as CN "
                                         "or US, or by its name."))
            values["country"] = country
        elif name == "region":  # "浙江省/杭州市" in one column (``_region``)
            values["region"] = " ".join(cell.split())[:_REGION_MAX]
        elif name == "customer_type":
            names["customer_type"] = [cell.strip()]
        elif name == "owner":
            values["owner_id"], values["department_id"] = self._user(cell.strip())
        elif name == "tags":
            names.setdefault("tags", []).extend(
                part for part in (text.strip() for text in SPLIT.split(cell)) if part)
        elif name == "notes":
            notes = "\n".join(filter(None, [values.get("notes", ""), cell.strip()]))
            if len(notes) > NOTES_MAX:
                raise FieldError(name, _("At most %(max)d characters.", max=NOTES_MAX))
            values["notes"] = notes
        elif name == "website":
            values["website"] = cell if len(cell) <= WEBSITE_MAX and _PLAIN_URL.fullmatch(cell) \
                else normalise_website(cell)
        elif name in _TEXT:
            limit = _TABLE.c[name].type.length
            if len(cell) > limit:
                raise FieldError(name, _("At most %(max)d characters.", max=limit))
            values[name] = cell.strip()


    def _custom(self, values: dict[str, Any], name: str, cell: str) -> None:
        """A custom field's cell, into ``values["custom"]`` (records/custom.py's kind)."""
        if self._custom_fields is None:
            self._custom_fields = {item.key: item for item in custom_fields.active_fields(
                self.session, CUSTOM_KIND)}
        item = self._custom_fields.get(name[len(custom_fields.PREFIX):])
        if item is None:
            raise FieldError(name, _("There is no such custom field."))
        try:
            value = custom_fields.import_value(item, cell)
        except ValueError as exc:
            raise FieldError(name, str(exc)) from None
        if value is not None:
            values.setdefault("custom", {})[item.key] = value


def _phone(text: str, field: str) -> str:
    """``normalise_phone``, with a shortcut for a mobile or landline typed as bare ASCII
    digits (most cells of a real file), which it would store as +86 and those digits."""
    if text.isascii() and text.isdigit():
        if _MOBILE.fullmatch(text):
            return "+86" + text
        if _LANDLINE.fullmatch(text):
            return "+86" + text[1:]
    return normalise_phone(text, field)


_USCC_CHAR = "[0-9A-HJ-NP-RTUWXY]"  # validation.USCC_ALPHABET
_PLAIN_USCC = re.compile(f"{_USCC_CHAR}{{2}}[0-9]{{6}}{_USCC_CHAR}{{10}}")
_USCC_VALUES = {char: value for value, char in enumerate(USCC_ALPHABET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


class UnknownOwner(FieldError):
    """No user has the owner cell's name (another system's staff): the row is imported
    with the owner it would have without the column, the name kept in its notes."""

    def __init__(self, name: int | str) -> None:
        super().__init__("owner", _("There is no user named %(name)s: the customer is "
                                    "imported without that owner, the name kept in its "
                                    "notes.", name=name))


def _uscc(text: str) -> str:
    """``normalise_uscc``, with a shortcut for a code typed as it is stored (upper case, no
    spaces) whose check character is right: the cell itself."""
    if len(text) == 18 and _PLAIN_USCC.fullmatch(text):
        total = sum(map(operator.mul, map(_USCC_VALUES.__getitem__, text[:17]), _USCC_WEIGHTS))
        if USCC_ALPHABET[(31 - total % 31) % 31] == text[17]:
            return text
    return normalise_uscc(text)


def _region(values: dict[str, Any], cell: str) -> None:
    """A region column ("浙江省/杭州市", "北京市海淀区") as the province and city, where the
    row's own province and city columns leave them empty (none of it when the province
    column names another province); a district or county left over begins the address
    (unless the address names it already)."""
    province, city, rest = split_region(cell)
    own = values.get("province")
    if province and not own:
        values["province"] = province
    elif own and (match_province(own) or own) != province:
        return  # the row's own province names another place: the region's city is not in it
    if city and not values.get("city"):
        values["city"] = city
    address = values.get("address", "")
    if rest and rest not in address and len(rest) + len(address) <= _TABLE.c.address.type.length:
        values["address"] = rest + address


def _place(values: dict[str, Any]) -> None:
    """Province and city as the region lists and filters name them: "浙江" is 浙江省, "宁波"
    宁波市, and a city alone gives its province when one province has a city of that name.
    A name the lists do not know stays as typed."""
    province = values.get("province", "")
    known = match_province(province) if province else None
    if known:
        values["province"] = province = known
    city = values.get("city", "")
    if city and (known or not province):
        found = match_city(province, city)
        if found is not None:
            values["province"], values["city"] = found


@lru_cache(maxsize=1)
def _status_words() -> dict[str, str]:
    """Every spelling of a known status (casefolded) to its code: the code, its label in
    English and Chinese, and ``_STATUS_SYNONYMS``."""
    words: dict[str, str] = {}
    for code, label in STATUS_LABELS.items():
        spellings = [code, *_STATUS_SYNONYMS.get(code, ()), *in_every_language(label)]
        words.update((spelling.casefold(), code) for spelling in spellings)
    return words
