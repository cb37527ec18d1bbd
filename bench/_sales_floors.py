"""The raw SQL floor of each sales benchmark figure: the bare queries (and writes) of the
same work, through plain sqlite3 / psycopg on the same database (``_customers_measure.Floor``).

A rep's floors add ``owner_id = ?``: the sales role's data scope is "own" (the reps see
their own records).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from typing import Any

from sqlalchemy import text

CARD = ("id, name, customer_id, amount, probability, owner_id, expected_close_date, "
        "stage_entered_at")
LIST = ("id, name, customer_id, type, stage_id, status, amount, probability, "
        "expected_close_date, owner_id, department_id, updated_at")
_numbers = itertools.count(1)


def _ages(today: dt.date) -> tuple[str, ...]:
    """The bucket limits of receivables ageing (30, 60, 90 days overdue) as parameters."""
    return tuple(str(today - dt.timedelta(days=days)) for days in (30, 60, 90))


class Floors:
    """Floors for one user (``owner_id`` None: everyone's rows, the administrator)."""

    def __init__(self, floor: Any, session: Any, owner_id: int | None) -> None:
        self.floor, self.session, self.owner = floor, session, owner_id
        self.scope = "" if owner_id is None else " AND owner_id = ?"
        self.args: tuple[Any, ...] = () if owner_id is None else (owner_id,)
        self._raw_deep: tuple[Any, ...] | None = None
        self._stages: list[int] = []

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        """Run and fetch."""
        return self.floor.rows(sql, params)

    def pipeline(self) -> tuple[int, list[int]]:
        """The default pipeline and its open stages in order."""
        pipeline = self.rows("SELECT id FROM sales_pipeline ORDER BY is_default DESC, "
                             "position, id LIMIT 1")[0][0]
        self._stages = [row[0] for row in self.rows(
            "SELECT id FROM sales_stage WHERE pipeline_id = ? ORDER BY position, id",
            (pipeline,))]
        opened = [row[0] for row in self.rows(
            "SELECT id FROM sales_stage WHERE pipeline_id = ? AND kind = 'open' "
            "ORDER BY position, id", (pipeline,))]
        return pipeline, opened

    def column(self, stage_id: int) -> list[Any]:
        """One column's first 20 cards, by amount."""
        return self.rows(f"SELECT {CARD} FROM sales_opportunity WHERE stage_id = ? AND "
                         f"status = 'open' AND deleted_at IS NULL{self.scope} "
                         "ORDER BY amount DESC, id DESC LIMIT 20", (stage_id, *self.args))

    def kanban(self) -> None:
        """The board's first paint: pipelines, stages, the column headers from the stage
        totals (the cards load after the page, column by column)."""
        self.rows("SELECT id, name FROM sales_pipeline WHERE active = TRUE ORDER BY position, id")
        self.rows("SELECT * FROM sales_stage WHERE pipeline_id = (SELECT pipeline_id FROM "
                  "sales_stage WHERE id = ?) ORDER BY position, id", (self._stages[0],))
        # every column, won and lost included, from the kept stage totals
        marks = ", ".join("?" * len(self._stages))
        self.rows(f"SELECT stage_id, sum(count), sum(amount) FROM sales_stage_total WHERE "
                  f"stage_id IN ({marks}){self.scope} GROUP BY stage_id",
                  (*self._stages, *self.args))

    def cards(self, stage_id: int, count: int, user_id: int, skip: int = 0) -> list[int]:
        """Open cards of ``stage_id`` the user may move (their own for a rep)."""
        own = "" if self.owner is None else " AND owner_id = :user"
        return list(self.session.execute(text(
            f"SELECT id FROM sales_opportunity WHERE stage_id = :stage AND status = 'open' "
            f"AND deleted_at IS NULL{own} ORDER BY id LIMIT :count OFFSET :skip"),
            {"stage": stage_id, "user": user_id, "count": count, "skip": skip}).scalars())

    def _stamp(self) -> Any:
        now = dt.datetime.now(dt.UTC)
        return now.replace(tzinfo=None).isoformat(" ", "microseconds") \
            if self.floor.kind == "sqlite" else now

    def _commit(self) -> None:
        if self.floor.kind == "sqlite":
            self.floor.connection.commit()

    def move(self, card: int, from_stage: int, to_stage: int, user_id: int) -> None:
        """A stage change: the opportunity, its history, both stage totals, one commit."""
        now = self._stamp()
        cursor = self.floor.connection.cursor()
        sql = self.floor.sql
        cursor.execute(sql("UPDATE sales_opportunity SET stage_id = ?, probability = 25, "
                           "stage_entered_at = ?, updated_at = ?, version = version + 1 "
                           "WHERE id = ?"), (to_stage, now, now, card))
        cursor.execute(sql("UPDATE sales_stage_history SET left_at = ?, seconds = 60 WHERE "
                           "opportunity_id = ? AND left_at IS NULL"), (now, card))
        cursor.execute(sql("INSERT INTO sales_stage_history (opportunity_id, stage_id, "
                           "from_stage_id, user_id, entered_at) VALUES (?, ?, ?, ?, ?)"),
                       (card, to_stage, from_stage, user_id, now))
        for stage, sign in ((from_stage, -1), (to_stage, 1)):
            cursor.execute(sql("UPDATE sales_stage_total SET count = count + ? WHERE id = "
                               "(SELECT min(id) FROM sales_stage_total WHERE stage_id = ?)"),
                           (sign, stage))
        self._commit()

    def forecast(self) -> None:
        """A year of monthly totals, the targets, the open pipeline by close month."""
        today = dt.date.today()
        start = dt.date(today.year - 1, today.month, 1).isoformat()
        self.rows(f"SELECT month, sum(won_amount), sum(order_amount), sum(payment_amount) "
                  f"FROM sales_monthly_total WHERE month >= ?{self.scope} GROUP BY month",
                  (start, *self.args))
        self.rows("SELECT user_id, department_id, amount FROM sales_target WHERE "
                  "period_start >= ?", (start,))
        try:  # the open side from its aggregate (sales_0003) when the schema has it
            self.rows("SELECT month, owner_id, department_id, category, sum(amount), "
                      "sum(weighted) FROM sales_forecast_total WHERE month >= ?"
                      f"{self.scope} GROUP BY 1, 2, 3, 4", (start, *self.args))
            return
        except Exception:  # noqa: BLE001 - an older schema: the live grouped range
            pass
        month = ("strftime('%Y-%m', expected_close_date)" if self.floor.kind == "sqlite"
                 else "date_trunc('month', expected_close_date)")
        ahead = today.month - 1 + 6  # the page's default: six months from this one
        until = dt.date(today.year + ahead // 12, ahead % 12 + 1, 1).isoformat()
        self.rows(f"SELECT {month}, owner_id, department_id, forecast_category, sum(amount), "
                  "sum(amount * probability) FROM sales_opportunity WHERE status = 'open' AND "
                  "expected_close_date >= ? AND expected_close_date < ? AND deleted_at IS NULL "
                  f"AND forecast_category != 'omitted'{self.scope} GROUP BY 1, 2, 3, 4",
                  (dt.date(today.year, today.month, 1).isoformat(), until, *self.args))

    def deep_key(self) -> tuple[Any, int]:
        """(updated_at, id) of the row 99 % down the list, as the app reads it."""
        where = "" if self.owner is None else " AND owner_id = :owner"
        total = self.session.execute(text(
            f"SELECT count(*) FROM sales_opportunity WHERE deleted_at IS NULL{where}"),
            {"owner": self.owner}).scalar()
        from sqlalchemy import select

        from plugins.sales.models import Opportunity

        query = select(Opportunity.updated_at, Opportunity.id).where(
            Opportunity.deleted_at.is_(None))
        if self.owner is not None:
            query = query.where(Opportunity.owner_id == self.owner)
        row = self.session.execute(query.order_by(Opportunity.updated_at.desc(),
                                                  Opportunity.id.desc())
                                   .offset(int(total * 0.99)).limit(1)).one()
        self._raw_deep = tuple(self.rows("SELECT updated_at, id FROM sales_opportunity "
                                         "WHERE id = ?", (row.id,))[0])
        return row.updated_at, row.id

    def page(self, key: Any, limit: int = 50) -> list[Any]:
        """A list page by (updated_at, id), first or after the deep key."""
        after, params = "", ()
        if key is not None and self._raw_deep is not None:
            after, params = " AND (updated_at, id) < (?, ?)", self._raw_deep
        return self.rows(f"SELECT {LIST} FROM sales_opportunity WHERE deleted_at IS NULL"
                         f"{self.scope}{after} ORDER BY updated_at DESC, id DESC LIMIT {limit}",
                         (*self.args, *params))

    def order_inputs(self, user_id: int) -> tuple[int, list[int]]:
        """A customer the user may sell to and 20 products."""
        own = "" if self.owner is None else " AND owner_id = :user"
        customer = self.session.execute(text(
            f"SELECT id FROM customers_customer WHERE deleted_at IS NULL{own} "
            "ORDER BY id DESC LIMIT 1"), {"user": user_id}).scalar()
        products = list(self.session.execute(text(
            "SELECT id FROM sales_product WHERE active = :yes ORDER BY id LIMIT 20"),
            {"yes": True}).scalars())
        return customer, products

    def insert_order(self, customer_id: int, products: list[int]) -> None:
        """An order row and 20 line rows, one commit."""
        now = self._stamp()
        cursor = self.floor.connection.cursor()
        sql = self.floor.sql
        number = f"FLOOR-{dt.datetime.now().strftime('%H%M%S%f')}-{next(_numbers)}"
        cursor.execute(sql("INSERT INTO sales_order (number, customer_id, status, "
                           "untaxed_amount, tax_amount, total_amount, created_at, updated_at) "
                           "VALUES (?, ?, 'draft', 5547, 721, 6268, ?, ?) RETURNING id"),
                       (number, customer_id, now, now))
        order_id = cursor.fetchone()[0]
        cursor.executemany(sql(
            "INSERT INTO sales_order_line (order_id, position, product_id, description, "
            "quantity, unit_price, discount, tax_rate, subtotal, tax, total) VALUES "
            "(?, ?, ?, '', 3000, 1999, 750, 1300, 5547, 721, 6268)"),
            [(order_id, index, products[index % len(products)]) for index in range(20)])
        self._commit()

    def widget(self, widget_id: str) -> Callable[[], Any] | None:
        """The bare read behind a widget (its aggregate table), or None when unknown."""
        scope, args = self.scope, self.args
        today = dt.date.today()
        year_ago = dt.date(today.year - 1, today.month, 1).isoformat()
        queries = {
            "funnel": (f"SELECT stage_id, sum(count), sum(amount) FROM sales_stage_total "
                       f"WHERE 1 = 1{scope} GROUP BY stage_id", args),
            "revenue": (f"SELECT month, sum(order_amount) FROM sales_monthly_total WHERE "
                        f"month >= ?{scope} GROUP BY month", (year_ago, *args)),
            "win_rate": (f"SELECT month, sum(won_count), sum(lost_count) FROM "
                         f"sales_monthly_total WHERE month >= ?{scope} GROUP BY month",
                         (year_ago, *args)),
            # kept per department only (no owner): the same rows for everyone
            "top_products": ("SELECT product_id, sum(amount) AS total FROM "
                             "sales_product_monthly_total WHERE month >= ? "
                             "GROUP BY product_id ORDER BY total DESC LIMIT 10",
                             (year_ago,)),
            # the kept owed amounts per due date (sales_0005), bucketed by days overdue
            "receivables_ageing": (
                "SELECT CASE WHEN due_date >= ? THEN 0 WHEN due_date >= ? THEN 1 "
                "WHEN due_date >= ? THEN 2 WHEN due_date >= ? THEN 3 ELSE 4 END AS bucket, "
                f"sum(amount) FROM sales_receivable_total WHERE 1 = 1{scope} "
                "GROUP BY bucket", (today.isoformat(), *_ages(today), *args)),
        }
        if widget_id == "sales.forecast":  # the page's reads, open side included
            return self.forecast
        found = queries.get(widget_id.removeprefix("sales."))
        if found is None:
            return None
        return lambda: self.rows(*found)
