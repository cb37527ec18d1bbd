"""The marketing benchmark: freezing an audience of 500,000 contacts, and the evaluation
page and report API of a campaign of 500,000 recipients (issue 14: ≤ 30 s, ≤ 100 ms p95).

    .venv/bin/python bench/marketing.py [--database sqlite|postgres] [--contacts 500000]
        [--runs 30] [--reuse]

Builds (or with ``--reuse`` keeps) a database of demo customers (``customers.demo.fill``,
1–3 contacts each) until about ``--contacts`` contacts have an address, every address with a
granted consent. Then, through the services the pages call:

- freeze: ``audience.freeze`` of a campaign reaching every contact (``contacts: all``);
- stamps: ``members.advance`` of every recipient to sent, a quarter to opened, one in
  twenty to clicked, in batches of 10,000 (the kept funnel counts grow with them), and 300
  responses through ``record_response``;
- the evaluation page ``GET /marketing/campaigns/<id>/evaluation``, the report
  ``GET /api/v1/marketing/campaigns/<id>/report`` and the comparison page, timed in-process
  (Flask's test client, signed in as an administrator) after 3 warm-up runs: p50 / p95 ms;
- beside them, the floor the kept counts avoid: one ``SELECT count(...)`` of the stamps over
  the campaign's recipients in plain SQL.

Prints a Markdown table and writes JSON to ``bench/.data/marketing-<database>-<contacts>.json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _customers_build import DATA, Target, _users, drop, target  # noqa: E402

POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PLUGINS = ["customers", "sales", "marketing"]
FREEZE_TARGET_S = 30
PAGE_TARGET_MS = 100
BATCH = 10_000


@dataclasses.dataclass
class MarketingTarget(Target):
    """The benchmark's database with customers, sales and marketing."""

    def environment(self) -> dict[str, str]:
        """``CRM_*`` variables of this database."""
        return {**super().environment(), "CRM_PLUGINS": ",".join(PLUGINS)}


def make_app(target_: Target) -> Any:
    """The app of the three plugins on the target's database."""
    from crm_core.app import create_app

    return create_app({**target_.environment(), "CRM_PLUGINS": PLUGINS, "TESTING": True})


def build(target_: Target, contacts: int, postgres_admin: str) -> dict[str, Any]:
    """Customers with about ``contacts`` addressed contacts, each address consenting."""
    from sqlalchemy import func, insert, literal, select

    from crm_core.migrate import upgrade
    from crm_core.toolkit import model_for_table, utcnow
    from plugins.customers.demo import seed as demo
    from plugins.marketing.models import ConsentState

    drop(target_, postgres_admin)
    app = make_app(target_)
    began = time.perf_counter()
    with app.app_context():
        upgrade(app)
        _users(app)
        session = app.extensions["crm_db"].new_session()
        contact = model_for_table("customers_contact")
        have = 0
        while have < contacts:
            # about 1.6 addressed contacts per customer; a little more than needed is fine
            demo.fill(session, max(1000, int((contacts - have) / 1.6)), seed=14 + have,
                      records_per_customer=0.01)
            have = session.scalar(select(func.count(func.distinct(
                func.lower(func.trim(contact.email))))).where(contact.email != "")) or 0
            print(f"[{target_.kind}] {have:,} addresses", file=sys.stderr, flush=True)
        email = func.lower(func.trim(contact.email))
        session.execute(insert(ConsentState).from_select(
            ["email", "purpose", "granted", "at", "consent_id"],
            select(email, literal("marketing_email"), literal(True), literal(utcnow()),
                   literal(0)).where(contact.email != "").group_by(email)))
        session.commit()
        session.close()
    app.extensions["crm_db"].engine.dispose()
    built = {"contacts": contacts, "addresses": have,
             "seconds": round(time.perf_counter() - began, 1),
             "built_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    target_.marker.write_text(json.dumps(built))
    return built


def _timed(call: Any, runs: int, warmup: int = 3) -> dict[str, float]:
    for _number in range(warmup):
        call()
    times = []
    for _number in range(runs):
        began = time.perf_counter()
        call()
        times.append((time.perf_counter() - began) * 1000)
    times.sort()
    return {"p50": statistics.median(times),
            "p95": times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)]}


def _get(client: Any, path: str) -> Any:
    def call() -> None:
        answer = client.get(path)
        assert answer.status_code == 200, (path, answer.status_code)
    return call


def measure(target_: Target, runs: int) -> dict[str, Any]:
    """Freeze, stamp and time the pages; the figures."""
    from sqlalchemy import func, select

    from crm_core.auth.models import User
    from crm_core.testing_clients import login
    from crm_core.toolkit import get_session
    from plugins.marketing import audience
    from plugins.marketing.members import advance
    from plugins.marketing.models import Campaign, CampaignCost, CampaignMember
    from plugins.marketing.responses.service import record_response

    app = make_app(target_)
    figures: dict[str, Any] = {}
    with app.app_context():
        # the request's session: sales' listener of ``campaign_response`` writes in it
        session = get_session()
        admin = session.scalars(select(User).where(User.username == "bench-admin")).one()
        campaign = Campaign(name=f"bench {time.time():.0f}", type="email", state="running",
                            audience={"tag_ids": [], "exclude_tag_ids": [],
                                      "contacts": "all", "exclude_emails": []})
        session.add(campaign)
        session.commit()
        began = time.perf_counter()
        members = audience.freeze(session, campaign, admin)
        session.commit()
        figures["freeze_s"] = time.perf_counter() - began
        figures["members"] = members
        print(f"[{target_.kind}] froze {members:,} in {figures['freeze_s']:.1f} s",
              file=sys.stderr, flush=True)
        ids = list(session.scalars(select(CampaignMember.id).where(
            CampaignMember.campaign_id == campaign.id).order_by(CampaignMember.id)))
        began = time.perf_counter()
        for stage, every in (("sent", 1), ("opened", 4), ("clicked", 20)):
            chosen = ids[::every]
            for start in range(0, len(chosen), BATCH):
                advance(session, chosen[start:start + BATCH], stage)
                session.commit()
        figures["stamp_s"] = time.perf_counter() - began
        for member_id in ids[::max(1, len(ids) // 300)][:300]:
            record_response(session, campaign_id=campaign.id, kind="click",
                            member_id=member_id)
        session.add(CampaignCost(campaign_id=campaign.id, spent_on=campaign.created_at.date(),
                                 item="bench", amount=5_000_000))
        session.commit()
        campaign_id = campaign.id
        client = login(app.test_client(), admin)
        base = f"/marketing/campaigns/{campaign_id}"
        # the first view after the freeze counts the audience once (kept from then on)
        figures["first_view"] = _timed(_get(client, f"{base}/evaluation"), 1, 0)["p50"]
        figures["evaluation"] = _timed(_get(client, f"{base}/evaluation"), runs)
        figures["report"] = _timed(_get(client, f"/api/v1/marketing/campaigns/{campaign_id}"
                                                "/report"), runs)
        figures["compare"] = _timed(_get(client, f"/marketing/campaigns/compare?ids={campaign_id}"),
                                    runs)
        columns = [func.count(getattr(CampaignMember, f"{name}_at"))
                   for name in ("sent", "opened", "clicked", "responded")]
        figures["floor"] = _timed(lambda: session.execute(select(func.count(), *columns).where(
            CampaignMember.campaign_id == campaign_id)).one(), max(5, runs // 3), 1)
        figures["report_body"] = client.get(f"/api/v1/marketing/campaigns/{campaign_id}"
                                            "/report").get_json()
        session.rollback()
    app.extensions["crm_db"].engine.dispose()
    return figures


def table(kind: str, built: dict[str, Any], figures: dict[str, Any]) -> str:
    """The Markdown table of a run."""
    def met(value: float, limit: float) -> str:
        return "yes" if value <= limit else "no"

    lines = [f"#### {kind}, {figures['members']:,} recipients "
             f"({built['addresses']:,} addresses with consent)", "",
             "| figure | measured | target | met? |", "|---|---|---|---|",
             f"| freeze the audience | {figures['freeze_s']:.1f} s | ≤ {FREEZE_TARGET_S} s | "
             f"{met(figures['freeze_s'], FREEZE_TARGET_S)} |"]
    for key, label in (("evaluation", "evaluation page"), ("report", "report API"),
                       ("compare", "comparison page (one campaign)")):
        value = figures[key]
        lines.append(f"| {label} p50 / p95 | {value['p50']:.1f} / {value['p95']:.1f} ms | "
                     f"≤ {PAGE_TARGET_MS} ms p95 | {met(value['p95'], PAGE_TARGET_MS)} |")
    lines.append(f"| first evaluation view after the freeze (counts the audience once) | "
                 f"{figures['first_view']:.1f} ms | — | — |")
    lines.append(f"| floor avoided: one count of the stamps (plain SQL) p50 / p95 | "
                 f"{figures['floor']['p50']:.1f} / {figures['floor']['p95']:.1f} ms | — | — |")
    lines.append(f"| stamping sent/opened/clicked (batches of {BATCH:,}) | "
                 f"{figures['stamp_s']:.1f} s | — | — |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Build, measure and print; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--contacts", type=int, default=500_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--postgres-url", default=POSTGRES_ADMIN)
    parser.add_argument("--reuse", action="store_true",
                        help="keep the contacts of an earlier run of the same size")
    parser.add_argument("--build-only", action="store_true",
                        help="build (or keep, with --reuse) the contacts and stop")
    args = parser.parse_args(argv)
    plain = target(args.database, f"marketing-{args.contacts}", args.postgres_url)
    target_ = MarketingTarget(**dataclasses.asdict(plain))
    built = (json.loads(target_.marker.read_text()) if args.reuse and target_.marker.exists()
             else None)
    if built is None or built.get("contacts") != args.contacts:
        print(f"[{args.database}] building ~{args.contacts:,} contacts ...", file=sys.stderr,
              flush=True)
        built = build(target_, args.contacts, args.postgres_url)
        print(f"[{args.database}] built in {built['seconds']} s", file=sys.stderr, flush=True)
    if args.build_only:
        return 0
    figures = measure(target_, args.runs)
    print(table(args.database, built, figures), flush=True)
    machine = {"cpus": os.cpu_count(), "load": os.getloadavg(),
               "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    (DATA / f"marketing-{args.database}-{args.contacts}.json").write_text(json.dumps(
        {"machine": machine, "built": built, "figures": figures}, indent=2,
        ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
