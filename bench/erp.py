"""The ERP bridge benchmark: the initial push of customers and confirmed orders to the fake
Odoo, and incremental pulls of changed products, through the real sync code.

    nice -n 10 .venv/bin/python bench/erp.py [--customers 100000] [--orders 100000]
        [--products 10000] [--page 200]

The fake Odoo (``tests/plugins/erp_bridge/fake_odoo.py``, JSON-2 of Odoo 19) runs in its
own process, so that its Python does not share the bench's interpreter lock. The CRM data
(customers with a phone, confirmed orders of one line each) is written straight into a
fresh migrated SQLite database (set-up, not measured). Then, measured:

1. ``push_customers``: pages of 200 read through customers' ``list_customers``, one search
   by reference and one ``create`` with a list of values per page;
2. ``push_orders``: pages read through sales' ``confirmed_orders``, ``create`` with lines
   and ``action_confirm`` per page;
3. a first pull of the ERP's products into sales' catalogue, then the same products changed
   in the ERP (one ``write``) and pulled again incrementally.

Prints one Markdown table (records, seconds, records/s, target) and the same as JSON.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FAKE = ROOT / "tests" / "plugins" / "erp_bridge"

# The fake's write_date clock follows the real clock, as Odoo's does.
SERVE = """
import sys, threading, time
sys.path.insert(0, {fake!r})
from fake_odoo import FakeOdoo
fake = FakeOdoo(version=19).start()
def tick():
    while True:
        fake.store.clock = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
        time.sleep(0.1)
threading.Thread(target=tick, daemon=True).start()
print(fake.port, flush=True)
sys.stdin.read()
"""


def _fill(app: Any, customers: int, orders: int) -> None:
    """Customers (with a phone) and confirmed orders of one line, by bulk inserts."""
    from sqlalchemy import insert

    from crm_core.toolkit import get_session, utcnow
    from plugins.customers.models import Customer, CustomerPhone
    from plugins.sales.models import Order, OrderLine

    with app.app_context():
        session = get_session()
        now = utcnow()
        for start in range(0, customers, 5000):
            rows = [{"id": n, "name": f"基准客户{n:06d}", "kind": "company", "country": "CN",
                     "status": "active", "code": f"B{n:07d}", "name_key": f"基准客户{n:06d}",
                     "pinyin_key": "", "total_amount": 0, "created_at": now,
                     "updated_at": now}
                    for n in range(start + 1, min(customers, start + 5000) + 1)]
            session.execute(insert(Customer), rows)
            session.execute(insert(CustomerPhone), [
                {"customer_id": row["id"], "number": f"+86138{row['id']:08d}",
                 "position": 0} for row in rows])
        for start in range(0, orders, 5000):
            ids = range(start + 1, min(orders, start + 5000) + 1)
            session.execute(insert(Order), [
                {"id": n, "number": f"SO-B{n:07d}", "customer_id": (n - 1) % customers + 1,
                 "status": "confirmed", "untaxed_amount": 10000, "tax_amount": 1300,
                 "total_amount": 11300, "confirmed_at": now, "created_at": now,
                 "updated_at": now, "version": 1, "notes": ""} for n in ids])
            session.execute(insert(OrderLine), [
                {"order_id": n, "position": 0, "description": "基准货品", "quantity": 2000,
                 "unit_price": 5000, "discount": 0, "tax_rate": 1300, "subtotal": 10000,
                 "tax": 1300, "total": 11300, "price_includes_tax": False} for n in ids])
        session.commit()


def main() -> None:
    """Build, run, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--page", type=int, default=200)
    args = parser.parse_args()

    from crm_core.app import create_app
    from crm_core.migrate import upgrade
    from crm_core.testing import test_config
    from crm_core.toolkit import get_session
    from plugins.erp_bridge.connections.services import find_connection, save_connection
    from plugins.erp_bridge.odoo import OdooClient
    from plugins.erp_bridge.sync.initial import push_customers, push_orders
    from plugins.erp_bridge.sync.pull import pull

    server = subprocess.Popen([sys.executable, "-c", SERVE.format(fake=str(FAKE))],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    port = int(server.stdout.readline())
    url = f"http://127.0.0.1:{port}"
    figures: list[dict[str, Any]] = []
    instance = Path(tempfile.mkdtemp(prefix="erp-bench-"))
    try:
        app = create_app(test_config(instance, f"sqlite:///{instance / 'crm.sqlite'}",
                                     ["customers", "sales", "erp_bridge"]))
        with app.app_context():
            upgrade(app)
        started = time.perf_counter()
        _fill(app, args.customers, args.orders)
        print(f"set-up: {args.customers} customers, {args.orders} orders in "
              f"{time.perf_counter() - started:.1f} s", file=sys.stderr)
        with app.app_context():
            session = get_session()
            save_connection(session, {"name": "odoo", "kind": "odoo", "url": url,
                                      "database": "crm", "login": "bot",
                                      "secret": "fake-api-key-0123456789"})
            session.commit()
            connection = find_connection(session, "odoo")

            def measure(name: str, run: Any, count_of: Any, target: str) -> None:
                began = time.perf_counter()
                result = run()
                seconds = time.perf_counter() - began
                count = count_of(result)
                figures.append({"figure": name, "records": count,
                                "seconds": round(seconds, 2),
                                "per_second": round(count / seconds) if seconds else 0,
                                "target": target, "failed": getattr(result, "failed", 0),
                                "error": getattr(result, "error", "")})

            measure("initial push of customers",
                    lambda: push_customers(session, connection, page=args.page),
                    lambda result: result.pushed, "≥ 500/s")
            measure("initial push of confirmed orders (created + confirmed)",
                    lambda: push_orders(session, connection, page=args.page),
                    lambda result: result.pushed, "≥ 500/s")
            with OdooClient(url, "crm", "bot", "fake-api-key-0123456789") as erp:
                ids = []
                for start in range(0, args.products, 5000):
                    ids += erp.call("product.product", "create", vals_list=[
                        {"name": f"基准产品{n}", "default_code": f"BP{n:06d}",
                         "list_price": 10.5} for n in range(start, min(args.products,
                                                                        start + 5000))])
            measure("first pull of products into the catalogue",
                    lambda: pull(session, connection, "products"),
                    lambda result: result.pulled, "—")
            with OdooClient(url, "crm", "bot", "fake-api-key-0123456789") as erp:
                time.sleep(1.1)  # a later write_date second than the first pull's cursor
                erp.call("product.product", "write", ids=ids, vals={"list_price": 12.0})
            measure("incremental pull of changed products",
                    lambda: pull(session, connection, "products"),
                    lambda result: result.pulled, "—")
    finally:
        server.stdin.close()
        server.wait(10)
        shutil.rmtree(instance, ignore_errors=True)
    print(f"\nERP bridge benchmark, {time.strftime('%Y-%m-%d')}, {platform.node()}, "
          f"{platform.processor() or platform.machine()}, Python {platform.python_version()}")
    print("\n| figure | records | seconds | records/s | target |\n|---|---:|---:|---:|---|")
    for row in figures:
        print(f"| {row['figure']} | {row['records']} | {row['seconds']} | "
              f"{row['per_second']} | {row['target']} |")
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
