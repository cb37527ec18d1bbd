"""Flask-AppBuilder beside our customers list at a million customers (issue 11's check).

    .venv/bin/python bench/fab_baseline.py [--database sqlite|postgres|both] [--runs 20]

Reads (never writes) the data sets bench/customers.py built. FAB runs in its own venv
(bench/.data/fab-venv) in a subprocess running the generated bench/.data/fab_app.py; right after,
our app times the same figures in this process. Prints a Markdown table per database with the
load average; writes bench/.data/fab-results.json. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _customers_build import DATA, Target, make_app, target  # noqa: E402
from _customers_measure import timed  # noqa: E402

FAB_VERSION = "5.3.0"
FAB_VENV = DATA / "fab-venv"
FAB_SCRIPT = DATA / "fab_app.py"
SECURITY_DB = DATA / "fab-security.sqlite"
RESULTS = DATA / "fab-results.json"
NAME = "customers-1000000"
POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
API_SIZE, HTML_SIZE = 50, 20  # our bench's API limit and our HTML list's default page size
FILTERED = "API list, filtered (industry + province) sorted by amount"
#: key, label, and the row of bench/customers.py's results JSON (its deep page is 99% deep)
FIGURES = (("api_first", "API list, first page", "API list, first page"),
           ("api_deep", "API list, page 90% deep", "API list, deep page (99%, cursor)"),
           ("api_filtered", FILTERED, FILTERED),
           ("html_first", "HTML list, first page", "HTML list, first page"))

FAB_APP = r'''
"""FAB over the benchmark's tables, read-only (written by bench/fab_baseline.py)."""

import json
import logging
import math
import statistics
import sys
import time
from urllib.parse import quote

import flask_appbuilder
import prison
from flask import Flask
from flask_appbuilder import AppBuilder, ModelRestApi, ModelView
from flask_appbuilder.models.sqla import base as fab_sqla
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.models.sqla.interface import SQLAInterface
from sqlalchemy import BigInteger, Column, DateTime, ForeignKey, Integer, MetaData, String
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import declarative_base, relationship

logging.disable(logging.WARNING)
CFG = json.loads(sys.argv[1])
CrmBase = declarative_base(metadata=MetaData(info={"bind_key": "crm"}))


class Owner(CrmBase):
    __tablename__ = "core_user"
    id = Column(Integer, primary_key=True)
    display_name = Column(String(120))

    def __repr__(self):
        return self.display_name


class Customer(CrmBase):
    __tablename__ = "customers_customer"
    id = Column(Integer, primary_key=True)
    code, name, kind, industry, province, city, level, status = (
        Column(String) for _ in range(8))
    owner_id = Column(Integer, ForeignKey("core_user.id"))
    owner = relationship(Owner)
    total_amount = Column(BigInteger)
    updated_at, deleted_at = Column(DateTime), Column(DateTime)


COLUMNS = ["id", "code", "name", "kind", "industry", "province", "city", "level", "status",
           "owner.display_name", "total_amount", "updated_at"]
LIVE = [["deleted_at", FilterEqual, None]]


class CustomerApi(ModelRestApi):
    resource_name = "customer"
    datamodel = SQLAInterface(Customer)
    list_columns = COLUMNS
    order_columns = ["updated_at", "total_amount", "id", "name"]
    search_columns = ["industry", "province", "name"]
    base_order = ("updated_at", "desc")
    base_filters = LIVE
    page_size = CFG["api_size"]
    max_page_size = 100


class CustomerView(ModelView):
    datamodel = SQLAInterface(Customer)
    list_columns = [c.replace(".display_name", "") for c in COLUMNS]
    base_order = ("updated_at", "desc")
    base_filters = LIVE
    page_size = CFG["html_size"]


def make_app():
    crm = {"url": CFG["url"]}
    if CFG["kind"] == "postgres":
        crm["connect_args"] = {"options": "-c default_transaction_read_only=on"}
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY="fab-bench", TESTING=True, WTF_CSRF_ENABLED=False,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{CFG['security_db']}",
        SQLALCHEMY_BINDS={"crm": crm}, SQLALCHEMY_TRACK_MODIFICATIONS=False,
        AUTH_ROLE_PUBLIC="Public", FAB_ADD_SECURITY_API=False)
    db = fab_sqla.SQLA()
    with app.app_context():
        db.init_app(app)
        appbuilder = AppBuilder()
        appbuilder.init_app(app, db.session)
        appbuilder.add_api(CustomerApi)
        appbuilder.add_view(CustomerView, "Customers")
        sm = appbuilder.sm
        public = sm.find_role("Public") or sm.add_role("Public")
        for pv in sm.session.query(sm.permissionview_model).all():
            if pv.permission.name in ("can_list", "can_get", "can_show", "can_info",
                                      "menu_access"):
                sm.add_permission_role(public, pv)
        total = db.session.scalar(select(func.count(Customer.id))
                                  .where(Customer.deleted_at.is_(None)))
    return app, db, total


STATEMENTS = []


@event.listens_for(Engine, "before_cursor_execute")
def _record(conn, cursor, statement, parameters, context, executemany):
    STATEMENTS.append((str(conn.engine.url.database).rsplit("/", 1)[-1], statement))


def percentiles(samples):
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(math.ceil(0.95 * len(ordered)) - 1, 0)]


def once(client, path):
    began = time.perf_counter()
    client.get(path)
    return (time.perf_counter() - began) * 1000


def measure(client, path, runs):
    STATEMENTS.clear()
    answer = client.get(path)
    seen = list(STATEMENTS)
    if answer.status_code != 200:
        return {"path": path, "error": f"HTTP {answer.status_code}: {answer.data[:300]!r}"}
    crm = [sql for where, sql in seen if where != CFG["security_db"].rsplit("/", 1)[-1]]
    security = len(seen) - len(crm)
    body = answer.get_json() if answer.is_json else None
    rows = [len(body["result"]), body["count"]] if body else answer.data.count(b"<tr")
    for _ in range(2):
        client.get(path)
    p50, p95 = percentiles([once(client, path) for _ in range(runs)])
    return {"path": path, "p50": p50, "p95": p95, "rows": rows,
            "statements": len(crm), "security_statements": security,
            "count_query": any("count(" in sql.lower() for sql in crm),
            "offset": any("offset" in sql.lower() for sql in crm),
            "sql": [f"{q[:60]} ... {q[-240:]}" for q in map(" ".join, map(str.split, crm))]}


def main():
    app, _db, total = make_app()
    client = app.test_client()
    size, runs = CFG["api_size"], CFG["runs"]
    deep = int(total * CFG["deep"]) // size

    def api(**query):
        return "/api/v1/customer/?q=" + quote(prison.dumps(query))

    results = {
        "fab_version": flask_appbuilder.__version__, "total": total, "deep_page": deep,
        "api_first": measure(client, api(page=0, page_size=size), runs),
        "api_deep": measure(client, api(page=deep, page_size=size), runs),
        "api_filtered": measure(client, api(
            filters=[{"col": "industry", "opr": "eq", "value": CFG["industry"]},
                     {"col": "province", "opr": "eq", "value": CFG["province"]}],
            order_column="total_amount", order_direction="desc", page=0, page_size=size),
            runs),
        "html_first": measure(client, "/customerview/list/", runs),
    }
    print(json.dumps(results, default=str))


if __name__ == "__main__":
    main()
'''


def loadavg() -> str:
    """The 1, 5 and 15 minute load averages."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def fab_python() -> Path:
    """The FAB venv's python, creating the venv and installing FAB on first use."""
    python = FAB_VENV / "bin" / "python"
    if not python.exists():
        print(f"creating {FAB_VENV} (flask-appbuilder=={FAB_VERSION})", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(FAB_VENV)], check=True)
    check = subprocess.run([str(python), "-c", "import flask_appbuilder as f, psycopg; "
                            "print(f.__version__)"], capture_output=True, text=True)
    if check.stdout.strip() != FAB_VERSION:
        subprocess.run([str(python), "-m", "pip", "install", "-q",
                        f"flask-appbuilder=={FAB_VERSION}", "psycopg[binary]"], check=True)
    return python


def missing(target_: Target) -> str | None:
    """Why the data set of ``target_`` cannot be used, or None."""
    hint = ("build it first: .venv/bin/python bench/customers.py --database "
            f"{target_.kind} --reuse")
    if not target_.marker.exists():
        return f"no complete 1M data set on {target_.kind} ({target_.marker} is missing); {hint}"
    if target_.kind == "sqlite" and not Path(target_.driver_url()).exists():
        return f"{target_.driver_url()} is missing; {hint}"
    return None


def run_fab(target_: Target, sample: dict[str, Any], runs: int, deep: float) -> dict[str, Any]:
    """FAB's figures, measured in a subprocess in FAB's venv."""
    python = fab_python()
    FAB_SCRIPT.write_text(FAB_APP, encoding="utf-8")
    SECURITY_DB.unlink(missing_ok=True)
    url = (f"sqlite:///file:{target_.driver_url()}?mode=ro&uri=true"  # read-only
           if target_.kind == "sqlite" else target_.url)  # PostgreSQL: read-only sessions
    config = {"kind": target_.kind, "url": url, "security_db": str(SECURITY_DB),
              "api_size": API_SIZE, "html_size": HTML_SIZE, "runs": runs, "deep": deep,
              "industry": sample["industry"], "province": sample["province"]}
    done = subprocess.run([str(python), str(FAB_SCRIPT), json.dumps(config)],
                          capture_output=True, text=True, timeout=3600, cwd=DATA)
    if done.returncode != 0:
        raise RuntimeError(f"the FAB app failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


class Ours:
    """Our app on the same data set, timed the way the FAB app times itself."""

    def __init__(self, target_: Target) -> None:
        from sqlalchemy import event, select

        from crm_core.auth.models import User
        from crm_core.testing import login

        self.app = make_app(target_)
        self.context = self.app.app_context()
        self.context.push()
        self.session = self.app.extensions["crm_db"].new_session()
        # Signing in writes one session row, as every bench/customers.py run does.
        admin = self.session.scalars(select(User).where(User.username == "bench-admin")).one()
        self.client = login(self.app.test_client(), admin)
        self.statements: list[str] = []
        event.listen(self.app.extensions["crm_db"].engine, "before_cursor_execute",
                     lambda *args: self.statements.append(args[2]))

    def sample(self, deep: float) -> dict[str, Any]:
        """The live customers' total, bench/customers.py's filter values (a mid-table Chinese
        company's industry and province), the deep page's offset and our cursor to it."""
        from sqlalchemy import DateTime, Integer, String, column, func, select, table

        from crm_core.api.pagination import encode_cursor

        c = table("customers_customer", column("id", Integer), column("updated_at", DateTime),
                  *(column(name, String) for name in ("industry", "province", "country",
                                                      "kind", "name", "deleted_at"))).c
        run, live = self.session.execute, c.deleted_at.is_(None)
        total = run(select(func.count()).select_from(c.id.table).where(live)).scalar_one()
        company = run(select(c.industry, c.province).where(
            c.id >= select(func.max(c.id)).scalar_subquery() // 2, c.country == "CN",
            c.kind == "company", c.name.like("%有限公司")).order_by(c.id).limit(1)).one()
        offset = int(total * deep) // API_SIZE * API_SIZE
        row = run(select(c.updated_at, c.id).where(live).order_by(
            c.updated_at.desc(), c.id.desc()).offset(offset - 1).limit(1)).one()
        self.session.rollback()  # no read transaction left open on the shared data set
        return {"total": total, "industry": company.industry, "province": company.province,
                "deep_offset": offset, "cursor": encode_cursor([row.updated_at, row.id])}

    def measure(self, path: str, runs: int) -> dict[str, Any]:
        """p50 / p95 ms of GET ``path`` and the statements of one request."""
        self.statements.clear()
        answer = self.client.get(path)
        if answer.status_code != 200:
            return {"path": path, "error": f"HTTP {answer.status_code}"}
        statements = len(self.statements)
        p50, p95 = timed(lambda: self.client.get(path), runs)
        return {"path": path, "p50": p50, "p95": p95, "statements": statements}

    def figures(self, sample: dict[str, Any], runs: int) -> dict[str, Any]:
        """Our four figures."""
        industry, province = quote(sample["industry"]), quote(sample["province"])
        cursor = sample["cursor"]
        return {
            "api_first": self.measure(f"/api/v1/customers?limit={API_SIZE}", runs),
            "api_deep": self.measure(f"/api/v1/customers?limit={API_SIZE}&cursor={cursor}",
                                     runs),
            "api_filtered": self.measure(f"/api/v1/customers?limit={API_SIZE}&industry="
                                         f"{industry}&province={province}&sort=-amount", runs),
            "html_first": self.measure("/customers/", runs),
        }


def latest(kind: str) -> dict[str, str]:
    """Our figures from bench/customers.py's latest results JSON, by figure key."""
    path = DATA / f"results-{kind}-1000000.json"
    if not path.exists():
        return {}
    rows = {row["name"]: row["product"] for row in json.loads(path.read_text())["figures"]}
    return {key: rows.get(name, "–") for key, _label, name in FIGURES}


def _cell(figure: dict[str, Any]) -> str:
    return figure.get("error") or f"{figure['p50']:.1f} / {figure['p95']:.1f} ms"


def table(kind: str, result: dict[str, Any]) -> str:
    """The Markdown table of one database."""
    fab, ours, old = result["fab"], result["ours"], result["ours_latest"]
    lines = [f"### {kind}: {result['total']:,} customers, FAB {fab['fab_version']}, "
             f"load average {result['load_before']} -> {result['load_after']}", "",
             "| figure | FAB p50 / p95 | FAB SQL | ours p50 / p95 | ours SQL | "
             "ours in results JSON | FAB / ours p95 |", "|---|---|---|---|---|---|---|"]
    for key, label, _name in FIGURES:
        a, b = fab[key], ours[key]
        ratio = f"{a['p95'] / b['p95']:.1f}x" if "p95" in a and "p95" in b else "–"
        sql = (f"{a.get('statements', '–')} (COUNT: {'yes' if a.get('count_query') else 'no'}"
               f", OFFSET: {'yes' if a.get('offset') else 'no'})")
        lines.append(f"| {label} | {_cell(a)} | {sql} | {_cell(b)} | "
                     f"{b.get('statements', '–')} | {old.get(key, '–')} | {ratio} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Measure FAB and ours on each database; print the tables, write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--runs", type=int, default=20, help="timed runs per figure")
    parser.add_argument("--deep", type=float, default=0.9, help="depth of the deep page")
    parser.add_argument("--postgres-url", default=POSTGRES_ADMIN,
                        help="admin URL of the server the benchmark's database is on")
    args = parser.parse_args(argv)
    kinds = ("sqlite", "postgres") if args.database == "both" else (args.database,)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    failed = 0
    for kind in kinds:
        target_ = target(kind, NAME, args.postgres_url)
        reason = missing(target_)
        if reason:
            print(f"[{kind}] skipped: {reason}", file=sys.stderr)
            failed += 1
            continue
        try:
            ours = Ours(target_)
            sample = ours.sample(args.deep)
        except Exception as error:  # e.g. the PostgreSQL database is gone
            print(f"[{kind}] skipped: cannot read the data set: {error}", file=sys.stderr)
            failed += 1
            continue
        load_before = loadavg()
        print(f"[{kind}] FAB ({load_before})...", file=sys.stderr)
        fab = run_fab(target_, sample, args.runs, args.deep)
        print(f"[{kind}] ours...", file=sys.stderr)
        mine = ours.figures(sample, args.runs)
        ours.session.close()
        ours.context.pop()
        results[kind] = {"measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                         "total": sample["total"], "filter": sample, "runs": args.runs,
                         "api_page_size": API_SIZE,
                         "html_page_size": HTML_SIZE, "load_before": load_before,
                         "load_after": loadavg(), "fab": fab, "ours": mine,
                         "ours_latest": latest(kind)}
        print(table(kind, results[kind]) + "\n")
        RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str))
    print(f"JSON: {RESULTS}", file=sys.stderr)
    return 1 if failed == len(kinds) else 0


if __name__ == "__main__":
    sys.exit(main())
