"""Generating demo customers: realistic Chinese and English customers with their contacts and
contact records, made in memory (``demo`` writes them).

About 70% of the customers are Chinese (company names such as 深圳华宇科技有限公司 built
from place + brand + industry + suffix, or people), with valid mobiles and landlines of their
city, USCCs with a valid check character, and addresses; the others are foreign companies and
people with numbers of their country. Each company has 1–3 contacts, each customer about 5
contact records (the latest often with a follow-up date around today). Most Chinese people
have an ID-card number (valid birth date and check character, their city's area code) and
about half of the Chinese companies a bank and account: the encrypted fields (``identity``).
They come from a second random stream, so the other fields do not change with them.

Faker builds the word pools once (``demo_pools``); each row is then a few random choices from
them with one seeded ``random.Random``, so the same seed and start give the same rows.
``customer_rows`` yields customers alone, as ``bulk.insert_customers`` rows.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from crm_core.toolkit import utcnow

from ..identity import id_card_check_char
from ..names import name_key, pinyin
from ..validation import USCC_ALPHABET, uscc_check_char
from .pools import (
    BANKS,
    CONTACT_TITLES,
    CUSTOMER_TYPES,
    FOREIGN,
    INDUSTRIES,
    LEVELS,
    RECORD_KINDS,
    RECORD_TEXT,
    SOURCES,
    STATUSES,
    SUFFIXES,
    Pools,
    localized,
    pools,
    staff_language,
)

__all__ = ["DEFAULT_SEED", "customer_rows"]

DEFAULT_SEED = 2026
_ORG_SPACE = 31 ** 9  # the USCC's 9-character organisation code
_ORG_STEP = 16_341_163_770_723  # about 0.62 of the space, not a multiple of 31: index -> code
# is one-to-one, so the demo USCCs never repeat
_DAY = dt.timedelta(days=1)


@dataclass
class _Plan:
    """One generated customer with the contacts and records that go with it."""

    row: dict[str, Any]
    contacts: list[dict[str, Any]] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)


# ---------------------------------------------------------------------------- generating


class _Generator:
    """Makes customers from the pools with one seeded ``random.Random``."""

    def __init__(self, seed: int, start: int, *, now: dt.datetime, type_ids: Sequence[int],
                 tag_ids: Sequence[int], owners: Sequence[tuple[int | None, int | None]],
                 records_per_customer: float = 5.0) -> None:
        self.rng = random.Random(f"customers-demo:{seed}:{start}")
        # the encrypted fields draw from their own stream: the rest stays as it was
        self.identity_rng = random.Random(f"customers-demo-identity:{seed}:{start}")
        self.pools: Pools = pools(seed)
        self.index = start
        self.seed = seed
        self.now = now
        self.today = now.date()
        self.type_ids = list(type_ids) or [None]
        weights = [weight for _name, weight in CUSTOMER_TYPES]
        self._type_table = _table(weights if len(weights) == len(self.type_ids)
                                  else [1] * len(self.type_ids))
        self.tag_ids = list(tag_ids)
        self.owners = list(owners) or [(None, None)]
        self.records_per_customer = records_per_customer
        self._cities = [city for city, _weight in self.pools.cities]
        self._region_codes = {(province, city): code
                              for province, city, _area, code in self._cities}
        self._city_weights = list(
            _accumulate(weight for _city, weight in self.pools.cities))
        self._industry_weights = list(_accumulate(weight for *_rest, weight in INDUSTRIES))
        self._spelled: dict[str, str] = {}
        self._sources = localized(SOURCES)
        # a Chinese team writes its notes on a customer in Munich in Chinese too
        self._staff_language = staff_language()

    # -- small helpers

    def _pick(self, items: Sequence[Any]) -> Any:
        return items[int(self.rng.random() * len(items))]

    def _int(self, low: int, high: int) -> int:
        """A random integer in [low, high): ``randrange`` is three times slower."""
        return low + int(self.rng.random() * (high - low))

    def _digits(self, count: int) -> str:
        return str(int(self.rng.random() * 10 ** count)).zfill(count)

    def _spell(self, name: str) -> str:
        """The ASCII pinyin of ``name``, cached (names repeat: there are few surnames)."""
        spelled = self._spelled.get(name)
        if spelled is None:
            spelled = self._spelled[name] = _ascii(pinyin(name))
        return spelled

    def _mobile(self) -> str:
        return "+86" + self._pick(self.pools.mobile_prefixes) + self._digits(8)

    def _landline(self, area: str) -> str:
        local = str(self._int(2, 9)) + self._digits(7 if len(area) == 3 else 6 + (
            self.rng.random() < 0.8))
        return "+86" + area[1:] + local

    def _uscc(self, region_code: str) -> str:
        number = (self.index * _ORG_STEP + self.seed * 7919) % _ORG_SPACE
        org = []
        for _ in range(9):
            number, digit = divmod(number, 31)
            org.append(USCC_ALPHABET[digit])
        first17 = "91" + region_code + "".join(reversed(org))
        return first17 + uscc_check_char(first17)

    # -- one customer

    def customer(self, children: bool = True) -> _Plan:
        """The next customer (70% Chinese, 30% foreign) with its contacts and records
        (``children`` False: the customer alone)."""
        self.index += 1
        rng = self.rng
        created = self.now - dt.timedelta(seconds=self._int(0, 3 * 365 * 86400))
        owner_id, department_id = self._pick(self.owners)
        industry = INDUSTRIES[_choose(rng, self._industry_weights)]
        chinese = rng.random() < 0.7
        company = rng.random() < 0.85
        row = (self._chinese(industry, company) if chinese
               else self._foreign(industry, company))
        amount = 0 if rng.random() < 0.25 else int(rng.lognormvariate(10.8, 1.4)) * 100
        tags = []
        if self.tag_ids and rng.random() < 0.5:
            tags = rng.sample(self.tag_ids, min(1 if rng.random() < 0.7 else 2,
                                                len(self.tag_ids)))
        row.update(
            kind="company" if company else "person",
            customer_type_id=self.type_ids[self._pick(self._type_table)],
            industry=industry[0], source=self._pick(self._sources),
            level=LEVELS[self._pick(_LEVEL_TABLE)],
            status=STATUSES[self._pick(_STATUS_TABLE)],
            owner_id=owner_id, department_id=department_id, total_amount=amount,
            created_at=created, updated_at=created, tag_ids=tags, notes="",
        )
        # The duplicate keys, as bulk would compute them: here they cost the writer nothing
        # when a separate process generates (see _batches).
        row["name_key"] = name_key(row["name"])
        row["pinyin_key"] = pinyin(row["name_key"])
        plan = _Plan(row)
        if not children:  # benchmark and file rows stay without the encrypted fields
            row["last_contact_at"] = None
            return plan
        if chinese:
            row.update(self._bank(row["city"]) if company else self._id_card(row))
        if company:
            plan.contacts = [self._contact(row["country"], primary=number == 0)
                             for number in range(self._pick(_CONTACTS_TABLE) + 1)]
        plan.records = self._records(plan, chinese, owner_id, created)
        row["last_contact_at"] = max((record["occurred_at"] for record in plan.records),
                                     default=None)
        newest = max(plan.records, key=lambda record: record["occurred_at"], default=None)
        if newest is not None:  # the open follow-up, as the services maintain it
            row["follow_up_on"] = newest["next_follow_up"]
            row["follow_up_by"] = newest["user_id"]
        if row["last_contact_at"] is not None:
            row["updated_at"] = row["last_contact_at"]
        return plan

    def _chinese(self, industry: tuple[Any, ...], company: bool) -> dict[str, Any]:
        rng = self.rng
        province, city, area, region_code = self._cities[_choose(rng, self._city_weights)]
        street = (f"{self._pick(self.pools.districts)}{self._pick(self.pools.roads)}"
                  f"{self._int(1, 999)}号")
        if not company:
            name = self._pick(self.pools.zh_surnames) + self._pick(self.pools.zh_given)
            initials = self._spell(name) or "kehu"
            return dict(name=name, province=province, city=city, country="CN",
                        phones=[self._mobile()],
                        emails=[f"{initials}{self._int(10, 9999)}@"
                                f"{self._pick(self.pools.zh_mail)}"],
                        address=f"{province}{city if city != province else ''}{street}",
                        website="", uscc=None)
        brand = self._pick(self.pools.brands)
        place = city.removesuffix("市") if rng.random() < 0.85 else ""
        if place and rng.random() < 0.2:
            place = city
        suffix = SUFFIXES[self._pick(_SUFFIX_TABLE)]
        name = f"{place}{brand}{self._pick(industry[2])}{suffix}"
        domain = (f"{self._spell(brand) or 'corp'}{industry[1]}"
                  f"{self._pick(('', '', str(self._int(1, 99))))}"
                  f"{self._pick(('.com', '.cn', '.com.cn'))}")
        phones = [self._landline(area)]
        if rng.random() < 0.5:
            phones.append(self._mobile())
        return dict(name=name, province=province, city=city, country="CN", phones=phones,
                    emails=[f"{self._pick(('info', 'sales', 'contact', 'service', 'hr'))}@"
                            f"{domain}"],
                    address=f"{province}{city if city != province else ''}{street}",
                    website=f"https://www.{domain}", uscc=self._uscc(region_code))

    def _id_card(self, row: dict[str, Any]) -> dict[str, Any]:
        """Four people in five get a resident ID-card number (GB 11643-1999): their city's
        area code, a birth date 20 to 70 years back, a sequence and the check character."""
        rng = self.identity_rng
        if rng.random() >= 0.8:
            return {}
        born = self.today - _DAY * int(rng.uniform(20 * 365.25, 70 * 365.25))
        area = self._region_codes.get((row["province"], row["city"]), "110105")
        first17 = f"{area}{born:%Y%m%d}{int(rng.random() * 1000):03d}"
        return {"id_card_number": first17 + id_card_check_char(first17)}

    def _bank(self, city: str) -> dict[str, Any]:
        """Half the companies get their bank branch (开户行) and account number."""
        rng = self.identity_rng
        if rng.random() >= 0.5:
            return {}
        bank, digits = BANKS[int(rng.random() * len(BANKS))]
        branch = self.pools.districts[int(rng.random() * len(self.pools.districts))]
        first = str(1 + int(rng.random() * 9))
        rest = "".join(str(int(rng.random() * 10)) for _ in range(digits - 1))
        return {"bank_name": f"{bank}{city.removesuffix('市')}{branch.removesuffix('区')}支行",
                "bank_account": first + rest}

    def _foreign(self, industry: tuple[Any, ...], company: bool) -> dict[str, Any]:
        rng = self.rng
        country, cities, _weight = FOREIGN[self._pick(_FOREIGN_TABLE)]
        last = self._pick(self.pools.en_surnames)
        address = (f"{self._int(1, 2000)} {self._pick(self.pools.en_surnames)} "
                   f"{self._pick(('St', 'Ave', 'Road', 'Blvd'))}")
        phone = self._pick(self.pools.foreign_phones[country])
        if not company:
            first = self._pick(self.pools.en_given)
            return dict(name=f"{first} {last}", province="", city=self._pick(cities),
                        country=country, phones=[phone],
                        emails=[f"{first.lower()}.{last.lower()}{self._int(1, 99)}@"
                                f"{self._pick(('gmail.com', 'outlook.com', 'yahoo.com'))}"],
                        address=address, website="", uscc=None)
        word = self._pick(industry[3])
        form = rng.random()
        if form < 0.5:
            name = f"{last} {word} {self._pick(('Inc.', 'LLC', 'Ltd.', 'Group', 'Co., Ltd.'))}"
        elif form < 0.8:
            name = f"{last} & {self._pick(self.pools.en_surnames)} {word}"
        else:
            name = f"{last} {word}"
        domain = f"{last.lower()}{word.lower()}.com"
        return dict(name=name, province="", city=self._pick(cities), country=country,
                    phones=[phone], emails=[f"{self._pick(('info', 'sales', 'hello'))}@{domain}"],
                    address=address, website=f"https://www.{domain}", uscc=None)

    def _contact(self, country: str, primary: bool) -> dict[str, Any]:
        titles = CONTACT_TITLES[self._staff_language if self._staff_language is not None
                                else 0 if country == "CN" else 1]
        if country == "CN":
            name = self._pick(self.pools.zh_surnames) + self._pick(self.pools.zh_given)
            phones = [self._mobile()]
            email = (f"{self._spell(name) or 'lianxi'}{self._int(1, 999)}@"
                     f"{self._pick(self.pools.zh_mail)}")
            title = self._pick(titles)
        else:
            first, last = self._pick(self.pools.en_given), self._pick(self.pools.en_surnames)
            name = f"{first} {last}"
            phones = [self._pick(self.pools.foreign_phones[country])]
            email = f"{first[0].lower()}{last.lower()}@example.com"
            title = self._pick(titles)
        return {"name": name, "title": title, "phones": phones, "email": email,
                "is_primary": primary}

    def _records(self, plan: _Plan, chinese: bool, user_id: int | None,
                 created: dt.datetime) -> list[dict[str, Any]]:
        rng = self.rng
        count = min(int(rng.expovariate(1 / self.records_per_customer) + 0.5), 40)
        if count == 0:
            return []
        span = max((self.now - created).total_seconds(), 3600)
        moments = sorted(created + dt.timedelta(seconds=rng.random() * span)
                         for _ in range(count))
        texts = RECORD_TEXT[self._staff_language if self._staff_language is not None
                            else 0 if chinese else 1]
        records = []
        for number, moment in enumerate(moments):
            kind = RECORD_KINDS[self._pick(_KIND_TABLE)]
            latest = number == count - 1
            follow_up = None
            if latest and rng.random() < 0.6:
                follow_up = self.today + _DAY * self._int(-14, 31)
            elif rng.random() < 0.1:
                follow_up = moment.date() + _DAY * self._int(1, 15)
            content = (f"{self._pick(texts['opening'][kind])}{self._pick(texts['topics'])}"
                       f"{texts['joiner']}{self._pick(texts['outcomes'])}")
            records.append({
                "contact": self._int(0, len(plan.contacts)) if plan.contacts
                and rng.random() < 0.8 else None,
                "kind": kind, "content": content, "occurred_at": moment,
                "user_id": user_id, "next_follow_up": follow_up})
        return records


def _ascii(text: str) -> str:
    """Only the ASCII letters (pinyin's ü is written v by pypinyin, but stay safe)."""
    if text.isascii() and text.isalpha():
        return text
    return "".join(char for char in text if char.isascii() and char.isalpha())


def _accumulate(weights: Any) -> Iterator[float]:
    total = 0.0
    for weight in weights:
        total += weight
        yield total


def _choose(rng: random.Random, cumulative: Sequence[float]) -> int:
    """Index of a weighted choice, given cumulative weights (bisect by hand: no list copy)."""
    target = rng.random() * cumulative[-1]
    low, high = 0, len(cumulative) - 1
    while low < high:
        middle = (low + high) // 2
        if cumulative[middle] <= target:
            low = middle + 1
        else:
            high = middle
    return low


def _table(weights: Sequence[float]) -> tuple[int, ...]:
    """Indexes repeated by their (whole-number) weights: a weighted choice is one lookup."""
    return tuple(index for index, weight in enumerate(weights) for _ in range(int(weight)))


_KIND_TABLE = _table((45, 20, 20, 10, 5))
_LEVEL_TABLE = _table((20, 35, 30, 15))
_STATUS_TABLE = _table((70, 15, 10, 5))
_CONTACTS_TABLE = _table((45, 35, 20))
_SUFFIX_TABLE = _table((60, 15, 15, 10))
_FOREIGN_TABLE = _table([weight for _country, _cities, weight in FOREIGN])


def customer_rows(count: int, *, seed: int = DEFAULT_SEED, start: int = 0,
                  now: dt.datetime | None = None) -> Iterator[dict[str, Any]]:
    """``count`` generated customers as ``insert_customers`` rows (no types, tags or owners).

    For files and benchmarks: the same ``seed`` and ``start`` give the same rows.
    """
    generator = _Generator(seed, start, now=now or utcnow(), type_ids=(), tag_ids=(),
                           owners=())
    for _ in range(count):
        row = generator.customer(children=False).row
        row.pop("tag_ids", None)
        yield row
