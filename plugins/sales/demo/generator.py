"""Making sales demo rows in memory (``bulk`` writes them): opportunities with their stage
history, orders with lines worked out by ``sales.money``, contracts with payment plans,
payments and invoice requests.

Each batch has its own ``random.Random`` seeded by the seed, the table and the batch's first
index, so the same seed gives the same rows and a resumed build continues where it stopped.
Rows are plain tuples in the column order of the ``*_COLUMNS`` constants, with Python dates
and datetimes (``bulk`` converts them for SQLite).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..money import MILLI, document_amounts, line_amounts
from .pools import (
    COMPETITORS,
    CONTRACT_TITLES,
    INSTALMENT_NOTES,
    LOST_REASONS,
    NEXT_STEPS,
    OUR_COMPANY,
    REGIONS,
    SOURCES,
    SUFFIXES,
    TOPICS,
    words,
)

OPPORTUNITY_COLUMNS = (
    "id", "name", "customer_id", "type", "pipeline_id", "stage_id", "status", "amount",
    "probability", "expected_close_date", "forecast_category", "source", "competitors",
    "next_step", "lost_reason", "owner_id", "department_id", "stage_entered_at", "closed_at",
    "version", "created_at", "updated_at")
HISTORY_COLUMNS = ("opportunity_id", "stage_id", "from_stage_id", "user_id", "entered_at",
                   "left_at", "seconds")
ORDER_COLUMNS = (
    "id", "number", "customer_id", "opportunity_id", "owner_id", "department_id",
    "untaxed_amount", "tax_amount", "total_amount", "notes", "version", "status",
    "order_date", "confirmed_at", "cancelled_at", "created_at", "updated_at")
LINE_COLUMNS = ("order_id", "position", "product_id", "description", "quantity", "unit_price",
                "discount", "tax_rate", "price_includes_tax", "subtotal", "tax", "total")
CONTRACT_COLUMNS = (
    "id", "number", "title", "order_id", "customer_id", "amount", "party_a", "party_b",
    "start_date", "end_date", "signed_on", "status", "approval_comment", "owner_id",
    "department_id", "version", "created_at", "updated_at")
INSTALMENT_COLUMNS = ("id", "contract_id", "sequence", "due_date", "amount", "received_amount",
                      "status", "note")
PAYMENT_COLUMNS = ("contract_id", "instalment_id", "customer_id", "amount", "received_on",
                   "method", "reference", "note", "owner_id", "department_id", "created_at",
                   "updated_at")
INVOICE_COLUMNS = ("contract_id", "order_id", "customer_id", "amount", "invoice_type",
                   "buyer_name", "buyer_tax_number", "status", "external_ref", "note",
                   "owner_id", "department_id", "created_at", "updated_at")

_DAY = dt.timedelta(days=1)
_TYPES = ("new", "new", "new", "existing", "renewal", "upsell")
_DISCOUNTS = (0, 0, 0, 0, 500, 750, 1000, 1500)
_METHODS = ("bank_transfer",) * 7 + ("acceptance_bill", "cheque", "alipay", "wechat")
#: Won-opportunity orders: confirmed, delivered, completed; others may be drafts or cancelled.
_WON_ORDER = (("confirmed", 30), ("delivered", 30), ("completed", 40))
_OTHER_ORDER = (("draft", 15), ("confirmed", 35), ("delivered", 20), ("completed", 20),
                ("cancelled", 10))
BOOKED = ("confirmed", "delivered", "completed")


@dataclass(frozen=True)
class StageInfo:
    """A stage of the default pipeline."""

    id: int
    probability: int
    kind: str


@dataclass(frozen=True)
class ProductInfo:
    """A product to sell on demo lines."""

    id: int
    name: str
    list_price: int
    tax_rate: int
    price_includes_tax: bool


@dataclass
class Context:
    """What the rows point at: pipeline stages, products, owners, customers, today."""

    pipeline_id: int
    stages: list[StageInfo]
    products: list[ProductInfo]
    owners: list[tuple[int | None, int | None]]
    customers: Sequence[int]  # the customers' ids
    #: beside ``customers``: each one's owner id and department id (0 for none), or empty
    customer_owners: Sequence[int] = ()
    customer_departments: Sequence[int] = ()
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    language: int = 0

    @property
    def seller_ids(self) -> set[int]:
        """The ids of the users who may own demo records."""
        if not hasattr(self, "_sellers"):
            self._sellers = {owner for owner, _department in self.owners if owner}
        return self._sellers

    @property
    def open_stages(self) -> list[StageInfo]:
        """The open stages in pipeline order."""
        return [stage for stage in self.stages if stage.kind == "open"]

    def kind(self, kind: str) -> StageInfo | None:
        """The first stage of ``kind``."""
        return next((stage for stage in self.stages if stage.kind == kind), None)


def rng(seed: int, table: str, first: int) -> random.Random:
    """The random source of one batch (deterministic)."""
    return random.Random(f"sales-demo:{seed}:{table}:{first}")


def _weighted(random_: random.Random, choices: Sequence[tuple[str, int]]) -> str:
    return random_.choices([name for name, _w in choices],
                           [weight for _n, weight in choices])[0]


def pick_customer(context: Context, random_: random.Random
              ) -> tuple[int, tuple[int | None, int | None]]:
    """A random customer and who sells to it: its owner when that is a sales user, else a
    random sales user (so that a rep finds the opportunities of their customers)."""
    index = random_.randrange(len(context.customers))
    owner = context.customer_owners[index] if context.customer_owners else 0
    if owner and owner in context.seller_ids:
        return context.customers[index], (owner, context.customer_departments[index] or None)
    return context.customers[index], random_.choice(context.owners)


def _amount(random_: random.Random) -> int:
    """An opportunity amount in fen: ¥5,000 to ¥5,000,000, mostly tens of thousands."""
    yuan = min(max(random_.lognormvariate(11.3, 1.1), 5_000), 5_000_000)
    return int(yuan / 100) * 100 * 100


def opportunity(context: Context, random_: random.Random, opportunity_id: int
                ) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
    """One opportunity and its stage history (entered, left, seconds per stay)."""
    lang = context.language
    opens = context.open_stages
    won, lost = context.kind("won"), context.kind("lost")
    draw = random_.random()
    now, today = context.now, context.now.date()
    if draw < 0.18 and won is not None:
        path, status = [*opens, won], "won"
    elif draw < 0.30 and lost is not None:
        path, status = [*opens[:random_.randint(1, len(opens))], lost], "lost"
    else:
        reached = random_.choices(range(len(opens)), [35, 25, 20, 20][:len(opens)]
                                  + [10] * max(len(opens) - 4, 0))[0]
        path, status = opens[:reached + 1], "open"
    customer_id, (owner_id, department_id) = pick_customer(context, random_)
    if status == "open":
        close = today + random_.randint(-30, 180) * _DAY
        end = now - dt.timedelta(minutes=random_.randint(5, 60 * 24 * 20))
    else:
        close = today - random_.randint(0, 180) * _DAY
        end = dt.datetime.combine(close, dt.time(random_.randint(1, 10)), dt.UTC)
        end = min(end, now - dt.timedelta(minutes=5))
    created = end - dt.timedelta(days=random_.randint(len(path) * 3, 200),
                                 minutes=random_.randint(0, 600))
    span = (end - created).total_seconds()
    moments = [created, *sorted(created + dt.timedelta(seconds=random_.uniform(0, span))
                                for _ in path[1:-1]), end][:len(path)]
    if len(path) == 1:
        moments = [created]
    history = []
    for index, stage in enumerate(path):
        entered = moments[index]
        left = moments[index + 1] if index + 1 < len(path) else None
        history.append((opportunity_id, stage.id, path[index - 1].id if index else None,
                        owner_id, entered, left,
                        None if left is None else int((left - entered).total_seconds())))
    stage = path[-1]
    probability = stage.probability
    category = ("closed" if status == "won" else "omitted" if status == "lost"
                else "commit" if probability >= 75 else "best_case" if probability >= 50
                else "pipeline")
    name = (random_.choice(words(REGIONS, lang)) + random_.choice(words(TOPICS, lang))
            + random_.choice(words(SUFFIXES, lang)))
    competitors = ", ".join(random_.sample(words(COMPETITORS, lang), random_.randint(0, 2)))
    entered = moments[len(path) - 1]
    row = (opportunity_id, name.strip()[:200], customer_id, random_.choice(_TYPES),
           context.pipeline_id, stage.id, status, _amount(random_), probability, close,
           category, random_.choice(words(SOURCES, lang)), competitors,
           random_.choice(words(NEXT_STEPS, lang)) if status == "open" else "",
           random_.choice(words(LOST_REASONS, lang)) if status == "lost" else "",
           owner_id, department_id, entered, entered if status != "open" else None, 1,
           created, entered)
    return row, history


@dataclass
class OrderPlan:
    """An order's row and its lines, and what its contract needs."""

    row: tuple[Any, ...]
    lines: list[tuple[Any, ...]]
    id: int
    customer_id: int
    owner: tuple[int | None, int | None]
    status: str
    day: dt.date
    total: int


def order(context: Context, random_: random.Random, order_id: int, number: str,
          day: dt.date, *, customer_id: int, opportunity_id: int | None,
          owner: tuple[int | None, int | None], lines: float) -> OrderPlan:
    """One order of ``day`` with about ``lines`` lines (at least one), its amounts the sums
    of its lines' (``money.document_amounts``)."""
    count = max(1, min(40, round(random_.expovariate(1 / lines)) if lines > 1 else 1))
    status = _weighted(random_, _WON_ORDER if opportunity_id else _OTHER_ORDER)
    rows, amounts = [], []
    for position, product in enumerate(random_.choices(context.products, k=count), 1):
        quantity = random_.randint(1, 20) * MILLI
        discount = random_.choice(_DISCOUNTS)
        worked = line_amounts(quantity, product.list_price, discount, product.tax_rate,
                              product.price_includes_tax)
        amounts.append(worked)
        rows.append((order_id, position, product.id, product.name, quantity,
                     product.list_price, discount, product.tax_rate,
                     product.price_includes_tax, worked.subtotal, worked.tax, worked.total))
    total = document_amounts(amounts)
    moment = dt.datetime.combine(day, dt.time(random_.randint(1, 10)), dt.UTC)
    moment = min(moment, context.now - dt.timedelta(minutes=1))
    confirmed = moment + dt.timedelta(hours=2) if status in (*BOOKED, "cancelled") else None
    confirmed = None if confirmed is None else min(confirmed, context.now)
    row = (order_id, number, customer_id, opportunity_id, owner[0], owner[1], total.untaxed,
           total.tax, total.total, "", 1, status, day,
           confirmed if status != "cancelled" else None,
           confirmed if status == "cancelled" else None, moment, confirmed or moment)
    return OrderPlan(row, rows, order_id, customer_id, owner, status, day, total.total)


@dataclass
class ContractPlan:
    """A contract's row, its instalments, payments and invoice requests."""

    row: tuple[Any, ...]
    instalments: list[tuple[Any, ...]]
    payments: list[tuple[Any, ...]]
    invoices: list[tuple[Any, ...]]


def split(amount: int, parts: int) -> list[int]:
    """``amount`` in ``parts`` whole-fen pieces that add up exactly (the last takes the rest)."""
    share = amount // parts
    return [share] * (parts - 1) + [amount - share * (parts - 1)]


def contract(context: Context, random_: random.Random, plan: OrderPlan, contract_id: int,
             number: str, first_instalment: int, customer: tuple[str, str]) -> ContractPlan:
    """A contract for a booked order: a payment plan of 1–4 instalments, payments (some
    instalments past due stay unpaid: overdue) and sometimes an invoice request."""
    lang = context.language
    today = context.now.date()
    signed = plan.day + random_.randint(0, 10) * _DAY
    signed = min(signed, today)
    start = signed
    end = start + random_.choice((180, 365, 365, 730)) * _DAY
    status = ("expired" if end < today else
              random_.choices(("active", "draft", "pending_approval", "terminated"),
                              (85, 6, 6, 3))[0])
    owner_id, department_id = plan.owner
    stamp = dt.datetime.combine(signed, dt.time(9), dt.UTC)
    stamp = min(stamp, context.now)
    row = (contract_id, number, random_.choice(words(CONTRACT_TITLES, lang)), plan.id,
           plan.customer_id, plan.total, customer[0], OUR_COMPANY[lang], start, end,
           signed if status not in ("draft", "pending_approval") else None, status, "",
           owner_id, department_id, 1, stamp, stamp)
    instalments, payments, invoices = [], [], []
    if status in ("draft", "pending_approval"):
        return ContractPlan(row, instalments, payments, invoices)
    parts = random_.choice((1, 2, 2, 3, 3, 4))
    notes = words(INSTALMENT_NOTES, lang)
    for sequence, amount in enumerate(split(plan.total, parts), 1):
        instalment_id = first_instalment + sequence - 1
        due = signed + (sequence - 1) * random_.choice((30, 60, 90)) * _DAY
        draw = random_.random()
        if due <= today:
            received = amount if draw < 0.78 else amount // 2 if draw < 0.88 else 0
        else:
            received = amount if draw < 0.1 else 0
        if received:
            pieces = split(received, 2) if received > 1 and random_.random() < 0.2 else [received]
            for piece_number, piece in enumerate(pieces):
                day = min(due + random_.randint(-5, 20) * _DAY + piece_number * 7 * _DAY, today)
                moment = dt.datetime.combine(day, dt.time(15), dt.UTC)
                moment = min(moment, context.now)
                payments.append((contract_id, instalment_id, plan.customer_id, piece, day,
                                 random_.choice(_METHODS), f"{number}-{sequence}{piece_number}",
                                 "", owner_id, department_id, moment, moment))
        state = "paid" if received == amount else "partial" if received else "open"
        instalments.append((instalment_id, contract_id, sequence, due, amount, received, state,
                            notes[min(sequence - 1, len(notes) - 1)] if parts > 1 else ""))
    if random_.random() < 0.5:
        invoice_status = random_.choices(("requested", "synced", "issued"), (3, 2, 5))[0]
        invoices.append((contract_id, plan.id, plan.customer_id, plan.total,
                         random_.choice(("vat_special", "vat_special", "vat_normal",
                                         "electronic")), customer[0], customer[1] or "",
                         invoice_status, f"ERP-{contract_id:08d}"
                         if invoice_status != "requested" else "", "", owner_id,
                         department_id, stamp, stamp))
    return ContractPlan(row, instalments, payments, invoices)
