"""The customers benchmark: a million customers and five million contact records, measured
through the real app beside the raw database floor of the same run.

    .venv/bin/python bench/customers.py [--customers 1000000] [--records 5000000]
        [--database sqlite|postgres|both] [--reuse] [--runs 20]

Builds the data set once per database (``crm seed``'s fast path, ``demo.fill``), then times
each figure server side: Flask's test client in-process, 20+ runs after 2 warm-up runs, p50
and p95 in ms. Import and export run ``crm customers import|export`` in a subprocess under
``/usr/bin/time`` (wall time and peak RSS, minus those of ``crm customers --help``, which
loads the app and does nothing). Beside each figure, the same work in plain SQL through
sqlite3/psycopg. Prints one Markdown table per database and writes the figures as JSON to
``bench/.data/results-<database>-<customers>.json``. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _customers_build import DATA, Target, build, target  # noqa: E402
from _customers_import import measure_import  # noqa: E402
from _customers_measure import (  # noqa: E402
    CRM,
    LIST_COLUMNS,
    Figure,
    Floor,
    _ms,
    baseline,
    export_floor_measured,
    run_measured,
    timed,
)

POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
WIDGET_DIMENSIONS = ("industry", "region", "band", "type", "level", "month")


def _target_ms(limit: float) -> str:
    return f"≤ {limit:g} ms p95"


class Run:
    """The figures of one database."""

    def __init__(self, app: Any, target_: Target, runs: int) -> None:
        from crm_core.testing import login

        self.app, self.target, self.runs = app, target_, runs
        self.figures = Figures()
        self.floor = Floor(target_)
        self.context = app.app_context()
        self.context.push()
        session = app.extensions["crm_db"].new_session()
        self.session = session
        from sqlalchemy import select

        from crm_core.auth.models import User

        self.admin = session.scalars(select(User).where(User.username == "bench-admin")).one()
        self.sales = session.scalars(select(User).where(User.username == "sales00")).one()
        self.client = login(app.test_client(), self.admin)
        self.sales_client = login(app.test_client(), self.sales)

    # -- helpers

    def _exists(self, path: str, method: str = "GET") -> bool:
        from werkzeug.exceptions import MethodNotAllowed, NotFound

        try:
            self.app.url_map.bind("localhost").match(path.split("?")[0], method=method)
        except (NotFound, MethodNotAllowed):
            return False
        return True

    def request(self, name: str, path: str, limit: float, floor: Any = None,
                client: Any = None) -> Figure:
        """Time GET ``path``; ``floor`` is (sql, params) or a list of them."""
        figure = Figure(name, _target_ms(limit))
        self.figures.append(figure)
        client = client or self.client
        if not self._exists(path):
            figure.note = f"no route {path.split('?')[0]} yet"
        else:
            try:
                answer = client.get(path)
            except Exception as error:  # a part still being written: report, go on
                answer = None
                figure.note = f"error: {type(error).__name__}: {str(error)[:120]}"
            if answer is None:
                pass
            elif answer.status_code != 200:
                figure.note = f"HTTP {answer.status_code} for {path}"
            else:
                pair = timed(lambda: client.get(path), self.runs)
                figure.product, figure.raw["product_ms"] = _ms(pair), pair
                figure.met = "yes" if pair[1] <= limit else "no"
        if floor is not None:
            statements = floor if isinstance(floor, list) else [floor]
            pair = self.floor.time_many(statements, self.runs)
            figure.floor, figure.raw["floor_ms"] = _ms(pair), pair
        self.figures.announce()
        return figure

    # -- sample data

    def samples(self) -> dict[str, Any]:
        """A mid-table Chinese company and the fragments to search it by."""
        from sqlalchemy import func, select

        from crm_core.api.pagination import encode_cursor
        from plugins.customers.models import Customer
        from plugins.customers.names import pinyin_initials

        session = self.session
        total = session.scalar(select(func.count(Customer.id)))
        middle = session.scalar(select(func.max(Customer.id))) // 2
        company = session.scalars(select(Customer).where(
            Customer.id >= middle, Customer.country == "CN", Customer.kind == "company",
            Customer.name.like("%有限公司")).order_by(Customer.id).limit(1)).one()
        rest = company.name
        for place in (company.city, company.city.removesuffix("市")):
            if rest.startswith(place):
                rest = rest[len(place):]
                break
        mobile = next((phone for phone in company.phones if phone.startswith("+861")),
                      company.phones[0])
        initials = pinyin_initials(company.name)
        deep = session.execute(select(Customer.updated_at, Customer.id)
                               .order_by(Customer.updated_at.desc(), Customer.id.desc())
                               .offset(int(total * 0.99)).limit(1)).one()
        raw_deep = self.floor.rows("SELECT updated_at, id FROM customers_customer "
                                   "WHERE id = ?", (deep.id,))[0]
        return {
            "total": total, "customer": company, "zh2": rest[:2], "zh3": rest[:3],
            "phone": mobile[-8:], "email": company.emails[0].split("@")[1][:7],
            "initials": initials[:4], "gapped": initials[:2] + initials[4:6],
            "cursor": encode_cursor([deep.updated_at, deep.id]), "raw_deep": raw_deep,
            "industry": company.industry, "province": company.province,
        }

    # -- the figures

    def reads(self) -> None:
        """Lists, search, the 360° page and the widgets."""
        s = self.samples()
        print(f"[{self.target.kind}] {s['total']:,} customers; searching {s['zh2']!r}, "
              f"{s['zh3']!r}, {s['phone']!r}, {s['email']!r}, {s['initials']!r}, "
              f"{s['gapped']!r}", file=sys.stderr)
        first = (f"SELECT {LIST_COLUMNS} FROM customers_customer WHERE deleted_at IS NULL "
                 "ORDER BY updated_at DESC, id DESC LIMIT 50", ())
        updated, last_id = s["raw_deep"]
        deep = (f"SELECT {LIST_COLUMNS} FROM customers_customer WHERE deleted_at IS NULL AND "
                "(updated_at, id) < (?, ?) "
                "ORDER BY updated_at DESC, id DESC LIMIT 50", (updated, last_id))
        scoped = (f"SELECT {LIST_COLUMNS} FROM customers_customer WHERE deleted_at IS NULL "
                  "AND department_id = ? ORDER BY updated_at DESC, id DESC LIMIT 50",
                  (self.sales.department_id,))
        filtered = (f"SELECT {LIST_COLUMNS} FROM customers_customer WHERE deleted_at IS NULL "
                    "AND industry = ? AND province = ? ORDER BY total_amount DESC, id DESC "
                    "LIMIT 50", (s["industry"], s["province"]))
        from urllib.parse import quote

        cursor, industry, province = s["cursor"], quote(s["industry"]), quote(s["province"])
        self.request("API list, first page", "/api/v1/customers?limit=50", 20, first)
        self.request("API list, deep page (99%, cursor)",
                     f"/api/v1/customers?limit=50&cursor={cursor}", 20, deep)
        self.request("API list, first page, sales user (department scope)",
                     "/api/v1/customers?limit=50", 20, scoped, client=self.sales_client)
        self.request("API list, filtered (industry + province) sorted by amount",
                     f"/api/v1/customers?limit=50&industry={industry}&province={province}"
                     "&sort=-amount", 20, filtered)
        self.request("HTML list, first page", "/customers/", 50, first)
        self.request("HTML list, deep page (99%, cursor)", f"/customers/?cursor={cursor}", 50,
                     deep)
        self.request("HTML list, filtered and sorted",
                     f"/customers/?industry={industry}&province={province}&sort=amount"
                     "&order=desc", 50, filtered)
        for label, key, limit in (("Chinese, 2 characters", "zh2", 100),
                                  ("Chinese, 3 characters", "zh3", 50),
                                  ("phone digits (8)", "phone", 50),
                                  ("email fragment", "email", 50),
                                  ("pinyin initials, contiguous", "initials", 50),
                                  ("pinyin initials, with a gap", "gapped", 50)):
            term = s[key]
            self.request(f"Search API `?q={term}` ({label})",
                         f"/api/v1/customers?q={quote(term)}&limit=50", limit,
                         self._search_floor(term, key))
        zh3 = quote(s["zh3"])
        self.request(f"Global search API `{s['zh3']}`", f"/api/v1/search?q={zh3}", 50,
                     self._search_floor(s["zh3"], "zh3"))
        self.request(f"Global search page `{s['zh3']}`", f"/search?q={zh3}", 50,
                     self._search_floor(s["zh3"], "zh3"))
        customer_id = s["customer"].id
        self.request("360° page", f"/customers/{customer_id}", 100, [
            ("SELECT * FROM customers_customer WHERE id = ?", (customer_id,)),
            ("SELECT * FROM customers_contact WHERE customer_id = ?", (customer_id,)),
            ("SELECT * FROM customers_contact_record WHERE customer_id = ? "
             "ORDER BY occurred_at DESC, id DESC LIMIT 20", (customer_id,))])
        self.widgets()

    def _search_floor(self, term: str, key: str) -> tuple[str, tuple[Any, ...]]:
        if self.floor.kind == "sqlite":
            if key == "zh2":
                return ("SELECT rowid FROM customers_search_bigram WHERE customers_search_bigram "
                        "MATCH ? LIMIT 50", (f'"{term}"',))
            return ("SELECT rowid FROM customers_search_fts WHERE customers_search_fts MATCH ? "
                    "LIMIT 50", (f'"{term}"',))
        if key == "zh2":
            return ("SELECT customer_id FROM customers_search_doc WHERE grams @> ARRAY[?]::text[] "
                    "LIMIT 50", (term,))
        return ("SELECT customer_id FROM customers_search_doc WHERE doc ILIKE ? LIMIT 50",
                (f"%{term}%",))

    def widgets(self) -> None:
        """Each customers widget through the kernel's widget-data route."""
        widgets = [widget_id for widget_id in self.app.extensions["crm"].widgets
                   if widget_id.startswith("customers.")]
        if not widgets:
            self.figures.append(Figure("Dashboard widgets", _target_ms(100),
                                       note="no customers widgets registered yet"))
        for widget_id in sorted(widgets):
            dimension = next((name for name in WIDGET_DIMENSIONS if name in widget_id),
                             "industry")
            self.request(f"Widget `{widget_id}`", f"/api/v1/widgets/{widget_id}", 100,
                         ("SELECT bucket, SUM(count) FROM customers_stat WHERE dimension = ? "
                          "GROUP BY bucket", (dimension,)))
        figure = Figure("GROUP BY industry over all customers (a widget without counters)",
                        "–", product="–")
        pair = self.floor.time("SELECT industry, COUNT(*), SUM(total_amount) FROM "
                               "customers_customer GROUP BY industry", (), max(self.runs // 4, 5))
        figure.floor, figure.raw["floor_ms"] = _ms(pair), pair
        figure.note = "why the widgets read precomputed counts"
        self.figures.append(figure)

    def export(self, rows: int) -> None:
        """``crm customers export`` of every customer, in a subprocess."""
        figure = Figure("Export, CSV, every customer (`crm customers export`)",
                        "≥ 50,000 rows/s, ≤ 100 MB RSS growth")
        self.figures.append(figure)
        floor_rate, floor_mib = export_floor_measured(self.target, rows)
        figure.floor = f"{floor_rate:,.0f} rows/s, +{floor_mib:.0f} MiB"
        figure.raw.update(floor_rows_per_s=floor_rate, floor_rss_mib=floor_mib)
        out = DATA / f"export-{self.target.kind}.csv"
        environment = self.target.environment()
        try:
            base_seconds, base_mib = baseline(environment)
            seconds, mib, _stdout = run_measured(
                [CRM, "customers", "export", "--format", "csv", "--out", str(out)], environment)
        except RuntimeError as error:
            figure.note = str(error).splitlines()[0][:200]
            return
        finally:
            out.unlink(missing_ok=True)
        rate, growth = rows / max(seconds - base_seconds, 1e-6), mib - base_mib
        figure.product = f"{rate:,.0f} rows/s, +{growth:.0f} MiB"
        figure.raw.update(rows_per_s=rate, rss_growth_mib=growth, seconds=seconds)
        figure.met = "yes" if rate >= 50_000 and growth <= 100 else "no"
        self.figures.announce()

    def close(self) -> None:
        """Release the session, the app context and the floor connection."""
        self.session.close()
        self.floor.close()
        self.context.pop()


def row(figure: Figure) -> str:
    """One Markdown table row."""
    product = figure.product + (f" ({figure.note})" if figure.note else "")
    return f"| {figure.name} | {product} | {figure.floor} | {figure.target} | {figure.met} |"


class Figures(list):
    """The figures of a run; each is echoed to stderr once measured (a long run shows its
    progress and a stopped one still leaves its figures)."""

    def announce(self) -> None:
        """Print the figures added since the last call."""
        for figure in self[getattr(self, "_shown", 0):]:
            print(row(figure), file=sys.stderr, flush=True)
        self._shown = len(self)


def table(kind: str, figures: list[Figure]) -> str:
    """The Markdown table of one database."""
    lines = [f"#### {kind}", "", "| figure | product p50 / p95 | raw SQL floor p50 / p95 "
             "| target | met? |", "|---|---|---|---|---|"]
    lines.extend(row(figure) for figure in figures)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Build, measure and print; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--records", type=int, default=None,
                        help="contact records in all (default: 5 per customer)")
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--reuse", action="store_true",
                        help="keep and reuse the data set built by an earlier run")
    parser.add_argument("--runs", type=int, default=20, help="timed runs per figure (≥ 20)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--import-rows", type=int, default=None,
                        help="rows of the import CSV (default: --customers)")
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--skip-export", action="store_true")
    parser.add_argument("--postgres-url", default=POSTGRES_ADMIN,
                        help="an admin URL of the PostgreSQL server (databases crm_bench_*)")
    args = parser.parse_args(argv)
    records = args.records if args.records is not None else args.customers * 5
    kinds = ("sqlite", "postgres") if args.database == "both" else (args.database,)
    output = []
    for kind in kinds:
        name = f"customers-{args.customers}"
        target_ = target(kind, name, args.postgres_url)
        began = time.perf_counter()
        app, built = build(target_, args.customers, records, args.seed, args.postgres_url,
                           args.reuse)
        run = Run(app, target_, max(args.runs, 1))
        seed_figure = Figure(f"Build: `crm seed` fast path, {built['customers_added']:,} "
                             f"customers + {built['records_added']:,} records", "minutes",
                             product=f"{built['seconds']:,.0f} s")
        seed_figure.note = (f"{built['customers_added'] / max(built['seconds'], 1):,.0f} "
                            f"customers/s, built {built['built_at']}")
        run.figures.append(seed_figure)
        run.figures.announce()
        try:
            run.reads()
            if not args.skip_export:
                run.export(built["customers_added"])
        finally:
            run.close()
        figures = run.figures
        if not args.skip_import:
            import_target = target(kind, f"import-{args.customers}", args.postgres_url)
            figures.append(measure_import(import_target, args.import_rows or args.customers,
                                          args.seed, args.postgres_url))
        result = table(f"{kind}, {args.customers:,} customers, {records:,} records", figures)
        output.append(result)
        print(result, flush=True)
        (DATA / f"results-{kind}-{args.customers}.json").write_text(json.dumps(
            {"built": built, "seconds": round(time.perf_counter() - began, 1),
             "figures": [figure.__dict__ for figure in figures]},
            indent=2, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
