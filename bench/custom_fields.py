"""The customer list filtered by custom fields at a million customers (issue 19): a choice
field of 8 options and a money field, both filterable (indexed), beside the unfiltered list
measured in the same run.

    .venv/bin/python bench/custom_fields.py [--customers 1000000]
        [--database sqlite|postgres|both] [--reuse] [--runs 30]

Builds once per database (``crm seed``'s fast path without contact records, as
``bench/customers.py`` builds, into ``bench/.data/custom-<N>.sqlite`` or the PostgreSQL
database ``crm_bench_custom_<N>``), defines the two fields through the kernel's service,
fills every customer's ``custom`` with one SQL ``UPDATE`` and then makes the fields
filterable (the kernel builds their indexes; the time is reported). Each figure: Flask's
test client in-process, 30 runs after 2 warm-ups, p50 / p95 in ms, as the administrator
and as a sales rep who sees a department. Prints a Markdown table per database and the
plan of every statement of one filtered request (``EXPLAIN ANALYZE`` on PostgreSQL,
``EXPLAIN QUERY PLAN`` on SQLite); JSON goes to ``bench/.data/custom-results-<db>-<N>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _customers_build import DATA, Target, build, target  # noqa: E402
from _customers_measure import Figure, _ms, timed  # noqa: E402

POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
KIND = "customers.customer"
SEGMENTS = ("医疗器械", "汽车零部件", "新能源", "半导体", "食品饮料", "物流", "教育", "金融服务")
CHOICE, MONEY = "segment", "budget"
#: the money filter: 100,000–120,000 yuan, about 2 % of the customers
MONEY_RANGE = (100_000, 120_000)
API_MS, HTML_MS = 20, 50
REP = "cf_rep"


def _spread(column: str, modulus: int) -> str:
    """SQL: a well-mixed 0..modulus-1 from the id (not periodic in the list's order)."""
    return f"(((CAST({column} AS BIGINT) * 2654435761) % 1000003) % {modulus})"


def fill_sql(dialect: str) -> str:
    """One UPDATE giving every customer a segment (1 in 8 each) and a budget (0 to
    1,000,003 yuan, in fen)."""
    budget = "(((CAST(id AS BIGINT) * 7919) % 1000003) * 100)"
    if dialect == "postgresql":
        options = ", ".join(f"'{value}'" for value in SEGMENTS)
        return (f"UPDATE customers_customer SET custom = jsonb_build_object('{CHOICE}', "
                f"(ARRAY[{options}])[{_spread('id', 8)} + 1], '{MONEY}', {budget})")
    cases = " ".join(f"WHEN {index} THEN '{value}'" for index, value in enumerate(SEGMENTS))
    return (f"UPDATE customers_customer SET custom = json_object('{CHOICE}', "
            f"CASE {_spread('id', 8)} {cases} END, '{MONEY}', {budget})")


def define_fields(app: Any, target_: Target, reuse: bool, reindex: bool = False
                  ) -> dict[str, Any]:
    """The two fields defined, every customer's values filled, the fields made filterable
    (their indexes built by the kernel); returns the times. Done once per data set;
    ``reindex`` makes the reused fields not filterable and filterable again (the kernel
    drops and builds their indexes: a change of the kernel's index code measured again)."""
    from sqlalchemy import select, text

    from crm_core.custom_fields import service, storage
    from crm_core.custom_fields.models import CustomField

    marker = target_.marker.with_suffix(".fields.json")
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        kind = storage.record_kinds(app)[KIND]
        existing = {f.key: f for f in session.scalars(
            select(CustomField).where(CustomField.record_kind == KIND))}
        if reuse and marker.exists() and {CHOICE, MONEY} <= set(existing):
            done = json.loads(marker.read_text())
            if reindex:
                done["filterable_s"] = _filterable(session, kind, target_.kind)
                marker.write_text(json.dumps(done, indent=2))
            session.close()
            return done
        for key in (CHOICE, MONEY):
            if key in existing:
                storage.drop_index(session.connection(), kind, key)
                session.delete(existing[key])
        session.flush()
        service.create_field(session, kind, {
            "key": CHOICE, "type": "choice", "options": list(SEGMENTS),
            "labels": {"zh_CN": "细分行业", "en": "Segment"}})
        service.create_field(session, kind, {
            "key": MONEY, "type": "money", "labels": {"zh_CN": "年度预算", "en": "Budget"}})
        session.commit()
        dialect = session.get_bind().dialect.name
        began = time.perf_counter()
        session.execute(text(fill_sql(dialect)))
        session.commit()
        filled = time.perf_counter() - began
        print(f"[{target_.kind}] filled custom in {filled:.1f} s", file=sys.stderr)
        if dialect == "postgresql":  # a million dead rows: as after any bulk load
            with session.get_bind().connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                    text("VACUUM ANALYZE customers_customer"))
        timings = _filterable(session, kind, target_.kind)
        session.close()
    done = {"filled_s": round(filled, 1), "filterable_s": timings,
            "at": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())}
    marker.write_text(json.dumps(done, indent=2))
    return done


def _filterable(session: Any, kind: Any, label: str) -> dict[str, float]:
    """Make both fields filterable through the kernel (first not, if they are); the
    seconds each took."""
    from sqlalchemy import select

    from crm_core.custom_fields import service
    from crm_core.custom_fields.models import CustomField

    timings = {}
    for key in (CHOICE, MONEY):
        field = session.scalars(select(CustomField).where(
            CustomField.record_kind == KIND, CustomField.key == key)).one()
        if field.filterable:
            service.update_field(session, kind, field, {"filterable": False})
            session.commit()
        began = time.perf_counter()
        service.update_field(session, kind, field, {"filterable": True})
        session.commit()
        timings[key] = round(time.perf_counter() - began, 1)
        print(f"[{label}] {key} filterable (index) in {timings[key]} s", file=sys.stderr)
    return timings


def rep_user(app: Any) -> Any:
    """A sales rep who also reads their department (roles sales + viewer) in ``sales00``'s
    department, a quarter of the customers (made once)."""
    from _staff import department_staff
    from sqlalchemy import select

    from crm_core.auth.models import User

    session = app.extensions["crm_db"].new_session()
    user = session.scalars(select(User).where(User.username == REP)).one_or_none()
    if user is None:
        user = department_staff(session, "自定义字段基准", [REP], ["sales", "viewer"])[0]
        user.department_id = session.scalars(select(User.department_id).where(
            User.username == "sales00")).one()
        session.commit()
    session.expunge(user)
    session.close()
    return user


class Statements:
    """The SQL statements (and parameters) the app sends while in ``with``."""

    def __init__(self, engine: Any) -> None:
        self.engine, self.seen = engine, []

    def _record(self, _conn: Any, _cursor: Any, statement: str, parameters: Any,
                _context: Any, _many: bool) -> None:
        self.seen.append((statement, parameters))

    def __enter__(self) -> Statements:
        from sqlalchemy import event

        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *_exc: Any) -> None:
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self._record)


def explain(engine: Any, statements: list[tuple[str, Any]]) -> str:
    """Each statement of a request with its plan (PostgreSQL: EXPLAIN ANALYZE)."""
    lines = []
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        postgres = engine.dialect.name == "postgresql"
        prefix = "EXPLAIN (ANALYZE, BUFFERS) " if postgres else "EXPLAIN QUERY PLAN "
        for number, (statement, parameters) in enumerate(statements, 1):
            if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            cursor.execute(prefix + statement, parameters)
            plan = [" | ".join(str(cell) for cell in row[-1:]) for row in cursor.fetchall()]
            lines += [f"-- statement {number}: {' '.join(statement.split())[:400]}",
                      *(f"   {line}" for line in plan), ""]
        raw.rollback()
    finally:
        raw.close()
    return "\n".join(lines)


class Run:
    """The figures of one database."""

    def __init__(self, app: Any, runs: int) -> None:
        from sqlalchemy import select

        from crm_core.auth.models import User
        from crm_core.testing import login

        # No app context stays pushed: a request would reuse it, and with it the signed-in
        # user of the client before (the rep's pages would be the administrator's).
        self.app, self.runs, self.figures, self.plans = app, runs, [], []
        session = app.extensions["crm_db"].new_session()
        admin = session.scalars(select(User).where(User.username == "bench-admin")).one()
        session.expunge(admin)
        session.close()
        self.clients = {"admin": login(app.test_client(), admin),
                        "rep": login(app.test_client(), rep_user(app))}

    def request(self, name: str, path: str, limit: float, who: str = "admin",
                plan: bool = False) -> Figure:
        """Time GET ``path`` as ``who``; ``plan``: keep the plans of one request."""
        figure = Figure(f"{name} ({who})", f"≤ {limit:g} ms p95")
        self.figures.append(figure)
        client = self.clients[who]
        engine = self.app.extensions["crm_db"].engine
        with Statements(engine) as seen:
            answer = client.get(path)
        if answer.status_code != 200:
            figure.note = f"HTTP {answer.status_code}: {answer.get_data(True)[:160]}"
        else:
            pair = timed(lambda: client.get(path), self.runs)
            figure.product, figure.raw["product_ms"] = _ms(pair), pair
            figure.met = "yes" if pair[1] <= limit else "no"
            figure.raw["statements"] = len(seen.seen)
            figure.note = f"{len(seen.seen)} statements"
            if plan:
                self.plans.append(f"### {figure.name}: GET {path}\n\n"
                                  + explain(engine, seen.seen))
        print(f"| {figure.name} | {figure.product} ({figure.note}) | {figure.target} "
              f"| {figure.met} |", file=sys.stderr, flush=True)
        return figure

    def deep_cursor(self, args: str) -> str | None:
        """The ``next_cursor`` after a few pages of ``args`` (a page well into the list)."""
        client, cursor = self.clients["admin"], None
        for _ in range(20):
            body = client.get(f"/api/v1/customers?{args}&limit=50"
                              + (f"&cursor={cursor}" if cursor else "")).get_json()
            cursor = body.get("next_cursor") if body else None
            if not cursor:
                return None
        return cursor

    def reads(self) -> None:
        """Every figure, as the administrator then as the rep."""
        segment = f"custom.{CHOICE}={quote(SEGMENTS[2])}"
        low, high = MONEY_RANGE
        money = f"custom.{MONEY}_min={low}&custom.{MONEY}_max={high}"
        client = self.clients["admin"]
        industry = client.get("/api/v1/customers?limit=1").get_json()["items"][0]["industry"]
        both = f"{segment}&industry={quote(industry)}"
        sortable = client.get(f"/api/v1/customers?limit=1&sort=-custom.{MONEY}")
        for _ in range(10):  # the app's first requests (caches, pool): before any figure
            for who in ("admin", "rep"):
                self.clients[who].get("/api/v1/customers?limit=50")
                self.clients[who].get(f"/customers/?{segment}")
        for who in ("admin", "rep"):
            api = "/api/v1/customers?limit=50"
            self.request("API, unfiltered, first page", api, API_MS, who, plan=who == "admin")
            self.request("API, segment, first page", f"{api}&{segment}", API_MS, who,
                         plan=True)
            if who == "admin":
                deep = self.deep_cursor(segment)
                unfiltered_deep = self.deep_cursor("sort=-updated")
                if unfiltered_deep:
                    self.request("API, unfiltered, page 21", f"{api}&cursor={unfiltered_deep}",
                                 API_MS, who)
                if deep:
                    self.request("API, segment, page 21", f"{api}&{segment}&cursor={deep}",
                                 API_MS, who, plan=True)
            self.request("API, budget 100k–120k yuan", f"{api}&{money}", API_MS, who,
                         plan=who == "admin")
            self.request(f"API, segment + industry {industry}", f"{api}&{both}", API_MS, who,
                         plan=who == "admin")
            if sortable.status_code == 200:
                self.request("API, sorted by budget", f"{api}&sort=-custom.{MONEY}", API_MS,
                             who, plan=who == "admin")
            elif who == "admin":
                figure = Figure("API, sorted by budget", f"≤ {API_MS} ms p95")
                figure.note = f"no sort by custom field yet (HTTP {sortable.status_code})"
                self.figures.append(figure)
            self.request("HTML, unfiltered, first page", "/customers/", HTML_MS, who)
            self.request("HTML, segment, first page", f"/customers/?{segment}", HTML_MS, who,
                         plan=who == "admin")
            self.request("HTML, budget 100k–120k yuan", f"/customers/?{money}", HTML_MS, who)

def statistics_of(app: Any) -> str:
    """Whether the planner has statistics of the fields' index expressions (PostgreSQL:
    ``pg_stats`` rows of the ``ix_cf_`` indexes; SQLite: ``sqlite_stat1`` rows)."""
    from sqlalchemy import text

    engine = app.extensions["crm_db"].engine
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            rows = connection.execute(text(
                "SELECT tablename, n_distinct FROM pg_stats WHERE tablename LIKE 'ix_cf_%' "
                "ORDER BY tablename")).all()
        else:
            known = connection.execute(text(
                "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")).scalar()
            rows = connection.execute(text(
                "SELECT idx, stat FROM sqlite_stat1 WHERE idx LIKE 'ix_cf_%' ORDER BY idx")
            ).all() if known else []
    return "; ".join(f"{name}: {value}" for name, value in rows) or "none"


def table(title: str, figures: list[Figure], load: str) -> str:
    """The Markdown table of one database."""
    lines = [f"#### {title}", "", f"Load average before / after: {load}", "",
             "| figure | p50 / p95 | target | met? |", "|---|---|---|---|"]
    lines += [f"| {f.name} | {f.product}{f' ({f.note})' if f.note else ''} | {f.target} "
              f"| {f.met} |" for f in figures]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Build, define the fields, measure and print; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--reuse", action="store_true",
                        help="keep and reuse the data set (and fields) of an earlier run")
    parser.add_argument("--reindex", action="store_true",
                        help="with --reuse: make the fields filterable again (new indexes)")
    parser.add_argument("--runs", type=int, default=30, help="timed runs per figure")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--postgres-url", default=POSTGRES_ADMIN,
                        help="an admin URL of the PostgreSQL server (databases crm_bench_*)")
    args = parser.parse_args(argv)
    kinds = ("sqlite", "postgres") if args.database == "both" else (args.database,)
    for kind in kinds:  # one database at a time
        target_ = target(kind, f"custom-{args.customers}", args.postgres_url)
        # no contact records: the list does not show them (the seed wants a rate > 0)
        app, built = build(target_, args.customers, max(args.customers // 100, 1), args.seed,
                           args.postgres_url, args.reuse)
        fields = define_fields(app, target_, args.reuse, args.reindex)
        load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
        known = statistics_of(app)
        run = Run(app, max(args.runs, 1))
        run.reads()
        load = f"{load_before} / {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
        title = (f"{kind}, {built['customers_added']:,} customers (built in "
                 f"{built['seconds']:,.0f} s; values filled in {fields['filled_s']} s; "
                 f"indexes {fields['filterable_s']} s)")
        print(table(title, run.figures, load), flush=True)
        print(f"\nStatistics of the index expressions: {known}", flush=True)
        print("\n".join(["", "#### Plans", "", *run.plans]), flush=True)
        (DATA / f"custom-results-{kind}-{args.customers}.json").write_text(json.dumps(
            {"built": built, "fields": fields, "load": load, "statistics": known,
             "figures": [figure.__dict__ for figure in run.figures], "plans": run.plans},
            indent=2, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
