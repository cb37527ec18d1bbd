"""The sales benchmark: kanban, moving a card, forecast, opportunity lists, creating an order
of 20 lines and every sales widget, at a million customers, two million opportunities and a
million orders (five million lines), beside the raw SQL floor of each in the same run.

    .venv/bin/python bench/sales.py [--customers 1000000] [--runs 20] [--database-url URL]

Builds the data set when it is missing (``bench/sales_data.py``, resumable), then times each
figure server side as ``bench/customers.py`` does: Flask's test client in-process, ``--runs``
runs after 2 warm-ups, p50 and p95 in ms, as the administrator and as ``sales00`` (a rep).
Beside each, the bare queries of the same work through plain sqlite3 / psycopg on the same
database; after each figure, the statements the app sent and its CPU time per request (on a
loaded machine the CPU time moves much less than the wall time). A route that does not
exist (yet) is printed as "not available". Prints a Markdown table with the machine, the
load average and the date, and writes JSON to
``bench/.data/sales-results-<kind>-<customers>.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _customers_build import Target  # noqa: E402
from _customers_measure import Figure, Floor, _ms, timed  # noqa: E402
from _sales_floors import Floors  # noqa: E402
from customers import Figures, table  # noqa: E402
from sales_data import DATA, build, database_url, make_url  # noqa: E402


def _target_ms(limit: float) -> str:
    return f"≤ {limit:g} ms p95"


class Run:
    """The figures of one data set, for one user (administrator or rep)."""

    def __init__(self, app: Any, floor: Floor, runs: int, username: str,
                 figures: Figures) -> None:
        from sqlalchemy import select

        from crm_core.auth.models import User
        from crm_core.testing import login

        self.app, self.floor, self.runs, self.figures = app, floor, runs, figures
        self.session = app.extensions["crm_db"].new_session()
        self.user = self.session.scalars(select(User).where(User.username == username)).one()
        self.label = "admin" if self.user.is_superuser else "rep"
        self.client = login(app.test_client(), self.user)
        self.floors = Floors(floor, self.session, None if self.user.is_superuser
                             else self.user.id)
        self._token: str | None = None

    def _exists(self, path: str, method: str = "GET") -> bool:
        from werkzeug.exceptions import MethodNotAllowed, NotFound

        try:
            self.app.url_map.bind("localhost").match(path.split("?")[0], method=method)
        except (NotFound, MethodNotAllowed):
            return False
        return True

    def token(self) -> str:
        """The session's CSRF token, read from a page."""
        for path in ("/sales/kanban", "/sales/opportunities", "/"):
            if self._token:
                break
            page = self.client.get(path, follow_redirects=True).get_data(as_text=True)
            found = re.search(r'name="csrf-token" content="([^"]+)"', page)
            self._token = found.group(1) if found else None
        return self._token or ""

    def figure(self, name: str, limit: float, method: str, path: str, call: Any,
               floor: Any, ok: tuple[int, ...] = (200,)) -> Figure:
        """Time ``call()`` (which makes one request and returns the response) after checking
        the route exists and answers ``ok``; ``floor`` is a callable timed beside it."""
        figure = Figure(f"{name} ({self.label})", _target_ms(limit))
        self.figures.append(figure)
        if not self._exists(path, method):
            figure.product = "not available"
            figure.note = f"no route {method} {path.split('?')[0]} yet"
        else:
            try:
                answer = call()
                if answer.status_code not in ok:
                    figure.note = f"HTTP {answer.status_code} for {method} {path[:60]}"
                else:
                    pair, statements, cpu = self.measured(call)
                    figure.product, figure.raw["product_ms"] = _ms(pair), pair
                    figure.raw.update(statements=statements, cpu_ms=cpu)
                    figure.note = f"{statements:g} SQL, {cpu:.1f} ms CPU"
                    figure.met = "yes" if pair[1] <= limit else "no"
            except Exception as error:  # a part still being written: report, go on
                figure.note = f"error: {type(error).__name__}: {str(error)[:120]}"
        if floor is not None:
            try:
                pair = timed(floor, self.runs)
                figure.floor, figure.raw["floor_ms"] = _ms(pair), pair
            except Exception as error:
                figure.floor = f"error: {type(error).__name__}: {str(error)[:80]}"
        self.figures.announce()
        return figure

    def measured(self, call: Any) -> tuple[tuple[float, float], float, float]:
        """p50 / p95 of ``call`` (``timed``), and per request the statements the app sent
        and the CPU time of the process (mean over the warm-ups and runs): on a loaded
        machine the CPU time moves less than the wall time."""
        from sqlalchemy import event

        engine = self.app.extensions["crm_db"].engine
        sent = [0]

        def count(*_args: Any) -> None:
            sent[0] += 1

        calls = [0]

        def counted() -> Any:
            calls[0] += 1
            return call()

        event.listen(engine, "before_cursor_execute", count)
        began = time.process_time()
        try:
            pair = timed(counted, self.runs)
        finally:
            cpu = time.process_time() - began
            event.remove(engine, "before_cursor_execute", count)
        calls[0] = max(calls[0], 1)
        return pair, round(sent[0] / calls[0], 1), cpu * 1000 / calls[0]

    def get(self, name: str, path: str, limit: float, floor: Any) -> Figure:
        """A GET figure."""
        return self.figure(name, limit, "GET", path, lambda: self.client.get(path), floor)

    # -- the figures

    def all(self) -> None:
        """Every figure for this user."""
        f = self.floors
        pipeline, stages = f.pipeline()
        self.get("Kanban first paint `/sales/kanban`", "/sales/kanban", 100, f.kanban)
        column = f"/sales/kanban/{pipeline}/columns/{stages[0]}"
        self.get("Kanban column lazy load", column, 100, lambda: f.column(stages[0]))
        self.move(stages)
        self.get("Forecast page `/sales/forecast`", "/sales/forecast", 100, f.forecast)
        self.lists()
        self.create_order()
        self.widgets()

    def move(self, stages: list[int]) -> None:
        """Move a fresh card each run from the first stage to the second."""
        cards = iter(self.floors.cards(stages[0], self.runs + 3, self.user.id))
        headers = {"Accept": "application/json", "X-CSRFToken": self.token()}

        def call() -> Any:
            card = next(cards)
            return self.client.post(f"/sales/opportunities/{card}/stage",
                                    data={"stage": str(stages[1])}, headers=headers)

        floor_cards = iter(self.floors.cards(stages[0], self.runs + 3, self.user.id,
                                             skip=self.runs + 3))
        self.figure("Move a card `POST /sales/opportunities/<id>/stage`", 50, "POST",
                    "/sales/opportunities/1/stage", call,
                    lambda: self.floors.move(next(floor_cards), stages[0], stages[1],
                                             self.user.id))

    def lists(self) -> None:
        """The opportunity list, API and HTML, first and deep pages."""
        f = self.floors
        self.get("API list, first page", "/api/v1/sales/opportunities?limit=50", 20,
                 lambda: f.page(None))
        cursor, key = self.deep_cursor()
        if cursor:
            self.get("API list, deep page (99 %, cursor)",
                     f"/api/v1/sales/opportunities?limit=50&cursor={cursor}", 20,
                     lambda: f.page(key))
        self.get("HTML list, first page", "/sales/opportunities", 50, lambda: f.page(None, 20))
        if cursor:
            self.get("HTML list, deep page (99 %, cursor)",
                     f"/sales/opportunities?cursor={cursor}", 50, lambda: f.page(key, 20))

    def deep_cursor(self) -> tuple[str | None, Any]:
        """A cursor 99 % down the list in its default order (``updated_at``, id; read off
        the first page's ``next_cursor``), and its key for the floor."""
        import base64

        from crm_core.api.pagination import encode_cursor

        answer = self.client.get("/api/v1/sales/opportunities?limit=2")
        if answer.status_code != 200 or not (answer.json or {}).get("next_cursor"):
            return None, None
        raw = answer.json["next_cursor"]
        key = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        if len(key) != 2:
            return None, None
        deep = self.floors.deep_key()
        return encode_cursor(list(deep)), deep

    def create_order(self) -> None:
        """``POST /api/v1/sales/orders`` with 20 lines."""
        customer_id, products = self.floors.order_inputs(self.user.id)
        body = {"customer_id": customer_id, "lines": [
            {"product_id": products[index % len(products)], "quantity": str(1 + index % 5),
             "unit_price": "19.99", "discount_percent": "7.5", "tax_rate": "13"}
            for index in range(20)]}
        headers = {"X-CSRFToken": self.token()}
        self.figure("Create an order of 20 lines `POST /api/v1/sales/orders`", 50, "POST",
                    "/api/v1/sales/orders",
                    lambda: self.client.post("/api/v1/sales/orders", json=body,
                                             headers=headers),
                    lambda: self.floors.insert_order(customer_id, products), ok=(200, 201))

    def widgets(self) -> None:
        """Every ``sales.*`` widget through the kernel's widget-data route."""
        widgets = sorted(widget for widget in self.app.extensions["crm"].widgets
                         if widget.startswith("sales."))
        if not widgets:
            self.figures.append(Figure(f"Sales widgets ({self.label})", _target_ms(100),
                                       product="not available", note="none registered"))
        for widget in widgets:
            self.get(f"Widget `{widget}`", f"/api/v1/widgets/{widget}", 100,
                     self.floors.widget(widget))

    def close(self) -> None:
        """Release the session."""
        self.session.close()


def machine() -> str:
    """CPU model and count, memory, the load average now."""
    model = "unknown CPU"
    try:
        model = next(line.split(":", 1)[1].strip() for line in
                     Path("/proc/cpuinfo").read_text().splitlines()
                     if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return (f"{platform.node()}: {os.cpu_count()} × {model}, {memory:.0f} GiB, "
            f"Python {platform.python_version()}; load average {load}")


def main(argv: list[str] | None = None) -> int:
    """Build when needed, measure, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--users", default="bench-admin,sales00")
    args = parser.parse_args(argv)
    url = database_url(args.database_url, args.customers)
    app, built = build(url, args.customers, 2 * args.customers, args.customers, 5.0)
    kind = make_url(url).get_backend_name()
    kind = "postgres" if kind == "postgresql" else kind
    target = Target(kind, url, DATA, DATA / "unused")
    began = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    header = machine()
    figures = Figures()
    floor = Floor(target)
    for username in args.users.split(","):
        # A fresh app context per user: the requests share it (and its ``g``, where the
        # CSRF token of the page last rendered is kept).
        with app.app_context():
            run = Run(app, floor, max(args.runs, 1), username, figures)
            try:
                run.all()
            finally:
                run.close()
    floor.close()
    counts = built.get("sales", {}).get("tables", {})
    title = (f"{kind}, {args.customers:,} customers, "
             + ", ".join(f"{rows:,} {name.removeprefix('sales_')}"
                         for name, rows in counts.items()))
    result = (f"{began}; {header}; after: load average "
              f"{', '.join(f'{v:.2f}' for v in os.getloadavg())}\n\n" + table(title, figures))
    print(result, flush=True)
    (DATA / f"sales-results-{kind}-{args.customers}.json").write_text(json.dumps(
        {"when": began, "machine": header, "built": built,
         "figures": [figure.__dict__ for figure in figures],
         "finished": dt.datetime.now(dt.UTC).isoformat()},
        indent=2, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
