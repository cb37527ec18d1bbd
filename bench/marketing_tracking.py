"""Throughput of marketing's tracking endpoints (the open pixel and the click redirect) on
``crm serve`` (gunicorn, two workers by default) under ``wrk``: issue 14 asks for
≥ 1,000 requests/s.

    .venv/bin/python bench/marketing_tracking.py [--database sqlite|postgres]
        [--recipients 500000] [--sample 20000] [--workers 2] [--duration 20]
        [--connections 8] [--reuse]

It builds (or with ``--reuse`` keeps) a database with one e-mail campaign of
``--recipients`` recipients and three tracked links, signs the pixel and click paths of
``--sample`` random recipients, and runs one ``wrk`` per scenario, each connection walking
that list (so most hits are a recipient's first open or click: real writes):

- pixel: ``GET /m/o/<token>.gif`` (stamps delivered + opened),
- click: ``GET /m/c/<token>`` on a plain link (stamps up to clicked, counts the link click),
- click on a call to action: the same plus a response (``record_response``) on the first,
- forged: tampered click tokens (404, nothing counted): the cost of refusing.

``--batch-seconds N`` serves with ``CRM_MARKETING_TRACKING_BATCH_SECONDS=N`` (hits kept in
the worker and written every N seconds, see plugins/marketing/tracking/batching.py).

The server's tracking budget per address is raised for the run (wrk is one address). Prints
a Markdown table (requests/s, latency p50/p99, non-2xx/3xx answers, server CPU per request)
and writes JSON to ``bench/.data/marketing-tracking-<database>-<recipients>.json``.
``wrk``: ``sudo apt-get install -y wrk``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import shutil
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _customers_build import DATA, Target, drop, target  # noqa: E402
from _throughput_proc import database_pids  # noqa: E402
from throughput import POSTGRES_ADMIN, Server, free_port, need_wrk, run_wrk  # noqa: E402

TARGET_RPS = 1000
PLUGINS = "customers,marketing"
LINKS = (("https://example.com/spring-sale", False), ("https://example.com/about", False),
         ("https://example.com/register", True))
# Each wrk connection walks the list of paths from a random place (one list per scenario).
LUA = r"""
local paths = {}
for line in io.lines(os.getenv("CRM_BENCH_PATH")) do paths[#paths + 1] = line end
math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 100000)
local at = math.random(#paths)
request = function()
  at = at % #paths + 1
  return wrk.format("GET", paths[at])
end
"""


@dataclasses.dataclass
class TrackingTarget(Target):
    """The benchmark's database, served with the customers and marketing plugins."""

    def environment(self) -> dict[str, str]:
        """``CRM_*`` variables of ``crm serve`` on this database."""
        return {**super().environment(), "CRM_PLUGINS": PLUGINS,
                # wrk is one address: the tracking budget per address must not stop counting
                "CRM_MARKETING_TRACKING_RATE_LIMIT": "1000000000 per minute"}


class TrackingServer(Server):
    """``crm serve`` waiting for the pixel to answer rather than the customers API."""

    def wait_ready(self, path: str, timeout: float = 120) -> None:  # type: ignore[override]
        """Until ``path`` answers (the workers are up and the app loaded)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"crm serve exited; see {self.log}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}",
                                            timeout=5) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"crm serve did not answer within {timeout:.0f} s; see {self.log}")


def make_app(target_: Target) -> Any:
    """An app of the customers and marketing plugins on the target's database."""
    from crm_core.app import create_app

    return create_app({**target_.environment(), "CRM_PLUGINS": PLUGINS.split(","),
                       "TESTING": True})


def build(target_: Target, recipients: int, postgres_admin: str) -> dict[str, Any]:
    """A fresh migrated database with one campaign of ``recipients`` and its links."""
    from sqlalchemy import insert

    from crm_core.migrate import upgrade
    from plugins.marketing.models import Campaign, CampaignMember
    from plugins.marketing.tracking.instrument import register_links

    drop(target_, postgres_admin)
    app = make_app(target_)
    began = time.perf_counter()
    with app.app_context():
        upgrade(app)
        session = app.extensions["crm_db"].new_session()
        campaign = Campaign(name="bench: spring mailing", type="email", state="running")
        session.add(campaign)
        session.flush()
        register_links(session, campaign.id, list(LINKS))
        chunk = 10_000
        for start in range(0, recipients, chunk):
            session.execute(insert(CampaignMember), [
                {"campaign_id": campaign.id, "email": f"r{number}@bench.example.com",
                 "status": "sent"} for number in range(start, min(start + chunk, recipients))])
        session.commit()
        built = {"recipients": recipients, "campaign_id": campaign.id,
                 "seconds": round(time.perf_counter() - began, 1),
                 "built_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
        session.close()
    app.extensions["crm_db"].engine.dispose()
    target_.marker.write_text(json.dumps(built))
    return built


def path_lists(target_: Target, built: dict[str, Any], sample: int, work: Path
               ) -> dict[str, Path]:
    """Per scenario, a file of signed paths of ``sample`` random recipients."""
    from sqlalchemy import select

    from plugins.marketing.models import CampaignMember
    from plugins.marketing.tracking.instrument import click_path, open_path

    app = make_app(target_)
    campaign_id = built["campaign_id"]
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        ids = list(session.scalars(select(CampaignMember.id).where(
            CampaignMember.campaign_id == campaign_id)))
        session.close()
        chosen = random.Random(14).sample(ids, min(sample, len(ids)))
        lists = {"pixel": [open_path(campaign_id, member) for member in chosen],
                 "click": [click_path(campaign_id, member, 1) for member in chosen],
                 "click on a call to action": [click_path(campaign_id, member, 3)
                                               for member in chosen]}
        lists["forged click"] = [path[:-6] + ("A" if path[-6] != "A" else "B") + path[-5:]
                                 for path in lists["click"][:1000]]
    app.extensions["crm_db"].engine.dispose()
    files = {}
    for label, paths in lists.items():
        files[label] = work / f"{label.replace(' ', '-')}.txt"
        files[label].write_text("\n".join(paths) + "\n")
    return files


def table(kind: str, recipients: int, workers: int, results: list[dict[str, Any]],
          batch: float) -> str:
    """The Markdown table of a run."""
    counting = f"counted in batches every {batch:g} s" if batch else "counted per request"
    lines = [f"#### {kind}, campaign of {recipients:,} recipients, {workers} gunicorn workers, "
             f"{counting}",
             "", "| scenario | requests/s | latency p50 / p99 | non-2xx/3xx | server CPU ms / "
             "request | target | met? |", "|---|---|---|---|---|---|---|"]
    for result in results:
        per_request = (1000 * result["server_cpu_s"] / result["requests"]
                       if result["requests"] else 0.0)
        forged = result["label"].startswith("forged")
        bad = 0 if forged else result["non_2xx"] + (1 if result["socket_errors"] else 0)
        met = "yes" if result["rps"] >= TARGET_RPS and not bad else "no"
        lines.append(f"| {result['label']} | {result['rps']:,.0f} | "
                     f"{result.get('p50', 0):.1f} / {result.get('p99', 0):.1f} ms | "
                     f"{result['non_2xx']}{' (404 expected)' if forged else ''} | "
                     f"{per_request:.2f} | ≥ {TARGET_RPS} | {met} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Build, serve, load, stop and print; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--recipients", type=int, default=500_000)
    parser.add_argument("--sample", type=int, default=20_000,
                        help="recipients whose signed paths wrk walks")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--duration", type=int, default=20, help="seconds per scenario")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--limiter", default="crm-memory://")
    parser.add_argument("--postgres-url", default=POSTGRES_ADMIN)
    parser.add_argument("--batch-seconds", type=float, default=2,
                        help="CRM_MARKETING_TRACKING_BATCH_SECONDS of the server (the app's "
                             "default 2: hits buffered, answered before the app's request "
                             "handling; 0: every hit counted in its request)")
    parser.add_argument("--redis-url", default="",
                        help="CRM_MARKETING_TRACKING_REDIS_URL of the server (hits in a Redis "
                             "list; fold them with the beat task, not run here)")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the data set of an earlier run of the same size")
    parser.add_argument("--only", default="", help="run the scenarios whose label has this")
    args = parser.parse_args(argv)
    args.pages = 1  # run_wrk passes it to the script, which has no use for it
    wrk = need_wrk()
    plain = target(args.database, f"marketing-tracking-{args.recipients}", args.postgres_url)
    target_ = TrackingTarget(**dataclasses.asdict(plain))
    built = (json.loads(target_.marker.read_text()) if args.reuse and target_.marker.exists()
             else None)
    if built is None or built.get("recipients") != args.recipients:
        print(f"[{args.database}] building {args.recipients:,} recipients ...",
              file=sys.stderr, flush=True)
        built = build(target_, args.recipients, args.postgres_url)
        print(f"[{args.database}] built in {built['seconds']} s", file=sys.stderr, flush=True)
    work = Path(tempfile.mkdtemp(prefix="crm-marketing-tracking-"))
    script = work / "paths.lua"
    script.write_text(LUA)
    files = path_lists(target_, built, args.sample, work)
    first_pixel = files["pixel"].read_text().split("\n", 1)[0]
    os.environ["CRM_MARKETING_TRACKING_BATCH_SECONDS"] = str(args.batch_seconds)
    os.environ["CRM_MARKETING_TRACKING_REDIS_URL"] = args.redis_url
    server = TrackingServer(target_, free_port(), args.workers, args.limiter,
                            DATA / f"marketing-tracking-serve-{args.database}.log")
    results: list[dict[str, Any]] = []
    try:
        server.wait_ready(first_pixel)
        workers = [pid for pid in server.workers() if pid != server.process.pid]

        def measured() -> list[int]:
            return server.workers() + database_pids(args.database, target_.url)

        if args.warmup:
            warm = argparse.Namespace(**{**vars(args), "duration": args.warmup})
            run_wrk(wrk, script, server.port, "", str(files["forged click"]), False, warm,
                    measured, workers)
        for label, paths in files.items():
            if args.only and args.only not in label:
                continue
            print(f"[{args.database}] {label}: wrk {args.duration} s ...", file=sys.stderr,
                  flush=True)
            result = run_wrk(wrk, script, server.port, "", str(paths), False, args, measured,
                             workers)
            result["label"] = label
            results.append(result)
            print(f"[{args.database}] {label}: {result['rps']:,.0f} requests/s, non-2xx/3xx "
                  f"{result['non_2xx']}", file=sys.stderr, flush=True)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(table(args.database, args.recipients, args.workers, results, args.batch_seconds),
          flush=True)
    machine = {"cpus": os.cpu_count(), "load": os.getloadavg(),
               "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    (DATA / f"marketing-tracking-{args.database}-{args.recipients}-batch{args.batch_seconds:g}"
             ".json").write_text(
        json.dumps({"machine": machine, "workers": args.workers,
                    "batch_seconds": args.batch_seconds,
                    "connections": args.connections, "duration_s": args.duration,
                    "results": [{key: value for key, value in result.items() if key != "raw"}
                                for result in results]}, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
