"""Likely duplicates (USCC, phone, email, normalised name, pinyin), the possible-duplicates
page and merging customers.

Every lookup here is an equality on an indexed column (``uscc``, ``name_key``,
``pinyin_key``, ``customers_customer_phone.number``, ``customers_customer_email.email``), so
a check costs a few index probes at any table size. The duplicates page groups by the same
columns (``GROUP BY key HAVING COUNT(*) > 1``) one page of keys at a time, walking the index
in key order (keyset pagination on the key), never the whole table at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, distinct, func, literal, select, union_all
from sqlalchemy.orm import Session

from crm_core.toolkit import DomainError, MenuItem, scoped

from ..models import Customer, CustomerEmail, CustomerPhone
from ..names import name_key, pinyin
from ..records.queries import get_customer
from ..validation import normalise_email, normalise_phone, normalise_uscc

__all__ = ["DUPLICATE_KINDS", "DuplicateGroup", "duplicate_groups", "find_likely_duplicates",
           "split_values"]

DUPLICATE_KINDS = ("phone", "email", "name", "pinyin")
# How much each reason says "same customer"; hits are ranked by the sum.
_WEIGHTS = {"uscc": 8, "phone": 4, "email": 4, "name": 3, "pinyin": 1}
# Not the ";" of a stored extension ("+861012345678;ext=12").
_SEPARATORS = re.compile(r"(?:[\n\r,，；]|;(?!ext=))+")


def _reason_text(reason: str) -> str:
    return {"uscc": _("same USCC"), "phone": _("same phone"), "email": _("same email"),
            "name": _("same name"), "pinyin": _("same pinyin")}[reason]


def split_values(values: Iterable[str] | str | None) -> list[str]:
    """The non-empty entries of ``values``: one string with several values (one a line, or
    separated by commas or semicolons, Chinese ones too) or a list of such strings."""
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    return [part.strip() for value in values for part in _SEPARATORS.split(value or "")
            if part.strip()]


def _retypeable(number: str) -> str:
    """A stored E.164 number in a form ``normalise_phone`` reads again (``;ext=`` is not)."""
    return number.replace(";ext=", " ext ")


def _phone_keys(phones: Iterable[str] | str | None) -> list[str]:
    keys: list[str] = []
    for raw in split_values(phones):
        try:
            keys.append(normalise_phone(_retypeable(raw)))
        except DomainError:
            continue  # the form reports a bad number; it cannot match a stored one
    return list(dict.fromkeys(keys))


def _email_keys(emails: Iterable[str] | str | None) -> list[str]:
    keys: list[str] = []
    for raw in split_values(emails):
        try:
            keys.append(normalise_email(raw))
        except DomainError:
            continue
    return list(dict.fromkeys(keys))


def _uscc_key(uscc: str | None) -> str | None:
    text = (uscc or "").strip()
    if not text:
        return None
    try:
        return normalise_uscc(text)
    except DomainError:
        return None  # a wrong check digit cannot be stored, so it matches nobody


def _live(statement: Select[Any], user: Any, exclude_id: int | None) -> Select[Any]:
    """Not in the trash, not the customer being edited, and within ``user``'s scope."""
    statement = statement.where(Customer.deleted_at.is_(None))
    if exclude_id is not None:
        statement = statement.where(Customer.id != exclude_id)
    return scoped(statement, Customer, user) if user is not None else statement


def find_likely_duplicates(session: Session, *, name: str, uscc: str | None = None,
                           phones: Iterable[str] | str = (), emails: Iterable[str] | str = (),
                           exclude_id: int | None = None, user: Any = None, limit: int = 10
                           ) -> list[tuple[Customer, list[str]]]:
    """Customers that look like the one described, best match first, each with its reasons
    (translated short texts: "same USCC", "same phone", "same email", "same name", "same
    pinyin").

    The values are normalised as the services store them: the USCC checked, phones to E.164,
    emails to lower case, the name to ``names.name_key`` (width, case, spaces, company
    suffixes) and its pinyin (only for names with Chinese characters; not repeated when the
    name already matches). Values that do not normalise are ignored. With ``user`` (object or
    id) only customers in their data scope are considered (None: all, for trusted callers
    such as an import); the trash and ``exclude_id`` never are.
    """
    lookups: list[Select[Any]] = []

    def look(reason: str, statement: Select[Any]) -> None:
        # Each look-up limited on its own, then all of them in one round trip.
        part = _live(statement.add_columns(literal(reason).label("reason")), user,
                     exclude_id).limit(limit).subquery()
        lookups.append(select(part.c.id, part.c.reason))

    if (code := _uscc_key(uscc)) is not None:
        look("uscc", select(Customer.id).where(Customer.uscc == code))
    if numbers := _phone_keys(phones):
        look("phone", select(Customer.id).join(CustomerPhone, CustomerPhone.customer_id
                                               == Customer.id)
             .where(CustomerPhone.number.in_(numbers)).distinct())
    if addresses := _email_keys(emails):
        look("email", select(Customer.id).join(CustomerEmail, CustomerEmail.customer_id
                                               == Customer.id)
             .where(CustomerEmail.email.in_(addresses)).distinct())
    key = name_key(name or "")
    if key:
        look("name", select(Customer.id).where(Customer.name_key == key))
        if spelled := pinyin(key):
            look("pinyin", select(Customer.id).where(Customer.pinyin_key == spelled))
    if not lookups:
        return []
    matches: dict[int, list[str]] = {}
    for customer_id, reason in session.execute(union_all(*lookups)):
        matches.setdefault(customer_id, []).append(reason)
    for reasons in matches.values():
        reasons.sort(key=list(_WEIGHTS).index)
    for reasons in matches.values():
        if "name" in reasons and "pinyin" in reasons:
            reasons.remove("pinyin")  # the same name is spelled the same: one reason is enough
    ranked = sorted(matches, key=lambda cid: (-sum(_WEIGHTS[r] for r in matches[cid]), cid))
    ranked = ranked[:limit]
    customers = {customer.id: customer for customer in session.scalars(
        select(Customer).where(Customer.id.in_(ranked)))} if ranked else {}
    return [(customers[cid], [_reason_text(reason) for reason in matches[cid]])
            for cid in ranked if cid in customers]


# ---------------------------------------------------------------------------- groups


@dataclass
class DuplicateGroup:
    """Customers sharing one key: ``count`` of them in all, the first few in ``customers``."""

    kind: str
    key: str
    count: int
    customers: list[Customer] = field(default_factory=list)

    @property
    def ids(self) -> list[int]:
        """The ids of the customers shown (the merge page's ``ids``)."""
        return [customer.id for customer in self.customers]


def _key_column(kind: str) -> Any:
    return {"phone": CustomerPhone.number, "email": CustomerEmail.email,
            "name": Customer.name_key, "pinyin": Customer.pinyin_key}[kind]


def _with_key(statement: Select[Any], kind: str) -> Select[Any]:
    """``statement`` from customers joined to the table holding the key of ``kind``."""
    statement = statement.select_from(Customer)
    if kind == "phone":
        return statement.join(CustomerPhone, CustomerPhone.customer_id == Customer.id)
    if kind == "email":
        return statement.join(CustomerEmail, CustomerEmail.customer_id == Customer.id)
    return statement


# A page reads the key's index in windows of WINDOW entries, at most MAX_WINDOWS of them, and
# checks at most MAX_CHECKED repeated keys, so one request stays bounded however rare
# duplicates are, and however few of them the user may see.
WINDOW = 20_000
MAX_WINDOWS = 5
MAX_CHECKED = 4_000  # repeated keys checked against trash and scope in one page
_CHECK = 1000  # at most this many repeated keys are checked against trash and scope at once


def _cursor(text: str | None) -> tuple[str | None, bool]:
    """``(key, inclusive)`` from a page cursor: "a:KEY" (after KEY) or "f:KEY" (from KEY)."""
    if not text or text[:2] not in ("a:", "f:"):
        return None, False
    return text[2:], text[:2] == "f:"


def _above(column: Any, key: str | None, inclusive: bool) -> Any:
    if key is None:
        return column != ""
    return column >= key if inclusive else column > key


def _window_end(session: Session, column: Any, key: str | None, inclusive: bool
                ) -> str | None:
    """The key WINDOW index entries on from the position (None: the index ends before)."""
    return session.scalar(select(column).where(column != "", _above(column, key, inclusive))
                          .order_by(column).limit(1).offset(WINDOW))


def _repeated(session: Session, column: Any, low: tuple[str | None, bool],
              high: tuple[str | None, bool], limit: int) -> list[str]:
    """The first ``limit`` keys between ``low`` and ``high`` used by more than one row.

    Reads the index alone, in order, and stops at ``limit`` keys (``GROUP BY`` along the
    index: no sorting); trash and scope are checked afterwards on these few keys only."""
    query = select(column).where(column != "", _above(column, *low))
    if high[0] is not None:
        query = query.where(column <= high[0] if high[1] else column < high[0])
    return list(session.scalars(query.group_by(column).having(func.count() > 1)
                                .order_by(column).limit(limit)))


def _live_counts(session: Session, kind: str, keys: list[str], user: Any) -> dict[str, int]:
    """How many customers in ``user``'s scope and not in the trash share each key (keys
    shared by fewer than two are left out)."""
    column = _key_column(kind)
    counted = func.count(distinct(Customer.id))
    statement = _with_key(select(column, counted), kind).where(column.in_(keys))
    statement = _live(statement, user, None).group_by(column).having(counted > 1)
    return {key: count for key, count in session.execute(statement)}


def duplicate_groups(session: Session, kind: str, *, user: Any, cursor: str | None = None,
                     limit: int = 20, members: int = 10
                     ) -> tuple[list[DuplicateGroup], str | None]:
    """One page of groups of customers (in ``user``'s scope, trash left out) that share a
    phone, an email, a name key or a pinyin key (``kind``), in key order from ``cursor``.

    Returns the groups (each with its first ``members`` customers, oldest first) and the
    cursor of the next page (None at the end). ``user=None`` means no scope (trusted
    callers). The key's index is read in windows (``GROUP BY key HAVING COUNT(*) > 1``
    within each), and only the repeated keys are checked against the trash and the scope;
    a page reads a bounded stretch of the index, so it may hold fewer than ``limit`` groups
    (even none) and still have a next page.
    """
    if kind not in DUPLICATE_KINDS:
        raise DomainError(_("Choose duplicates by phone, email, name or pinyin."))
    column = _key_column(kind)
    position = _cursor(cursor)
    found: list[tuple[str, int]] = []
    checked = 0
    for _step in range(MAX_WINDOWS):
        end = _window_end(session, column, *position)
        if end is not None and end == position[0]:
            high, after = (end, True), (end, False)  # one key fills a window: take it whole
        else:
            high, after = (end, False), (end, True)
        low, batch = position, 2 * limit
        while True:
            # Few keys first (a page of duplicates is usually found at once), more when the
            # trash or the scope rule many out.
            batch = min(batch * 2, _CHECK)
            keys = _repeated(session, column, low, high, batch)
            counts = _live_counts(session, kind, keys, user) if keys else {}
            for key in keys:
                if key in counts:
                    found.append((key, counts[key]))
                    if len(found) == limit:
                        return _filled(session, kind, found, user, members), f"a:{key}"
            checked += len(keys)
            if checked >= MAX_CHECKED and keys:
                # Mostly others' duplicates (scope) or trash: stop here, go on next page.
                return _filled(session, kind, found, user, members), f"a:{keys[-1]}"
            if len(keys) < batch:
                break
            low = (keys[-1], False)
        if end is None:
            return _filled(session, kind, found, user, members), None
        position = after
    following = f"{'f' if position[1] else 'a'}:{position[0]}"
    return _filled(session, kind, found, user, members), following


def _filled(session: Session, kind: str, found: list[tuple[str, int]], user: Any,
            members: int) -> list[DuplicateGroup]:
    """The groups with their first ``members`` customers (oldest first)."""
    column = _key_column(kind)
    if not found:
        return []
    # One query: each group's members numbered oldest first, the first few of each kept.
    number = func.row_number().over(partition_by=column, order_by=Customer.id).label("n")
    ranked = _live(_with_key(select(column.label("key"), Customer.id.label("id"), number),
                             kind).where(column.in_([key for key, _count in found])),
                   user, None).subquery()
    firsts: dict[str, list[int]] = {key: [] for key, _count in found}
    for key, customer_id in session.execute(select(ranked.c.key, ranked.c.id)
                                            .where(ranked.c.n <= members)):
        firsts[key].append(customer_id)
    wanted = [customer_id for ids in firsts.values() for customer_id in ids]
    loaded = {customer.id: customer for customer in session.scalars(
        select(Customer).where(Customer.id.in_(wanted)))} if wanted else {}
    return [DuplicateGroup(kind=kind, key=key, count=count,
                           customers=[loaded[i] for i in sorted(firsts[key]) if i in loaded])
            for key, count in found]


def group_label(kind: str) -> str:
    """The tab label of a kind of duplicate group."""
    return {"phone": _("Same phone"), "email": _("Same email"), "name": _("Same name"),
            "pinyin": _("Same pinyin")}[kind]


# ---------------------------------------------------------------------------- part offers


def menu_items() -> list[MenuItem]:
    """The "Possible duplicates" page, for users who may merge customers."""
    return [MenuItem(id="customers.duplicates", label=_l("Possible duplicates"),
                     endpoint="customers.duplicates", permission="customers.customer.merge",
                     icon="intersect", order=120)]


def merge_candidates(session: Session, ids: Sequence[int], *, user: Any) -> list[Customer]:
    """The customers ``ids`` (in that order) if ``user`` may see them all and none is in the
    trash; raises ``CustomerNotFound`` otherwise."""
    return [get_customer(session, customer_id, user=user) for customer_id in ids]

