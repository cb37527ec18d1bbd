"""Campaign e-mail throughput: queueing a send and delivering it to a local SMTP sink with two
outbox workers (issue 14: ≥ 200 messages/s).

    .venv/bin/python bench/marketing_send.py [--recipients 2000] [--workers 2]
        [--database sqlite|postgres] [--postgres-url URL]

Builds a fresh database (customers + marketing) with ``--recipients`` customers, each with
one consenting contact (addresses over 20 domains), and an approved e-mail campaign tagging
them all. Then, through the services the send button calls:

- queue: ``sending.start_send`` (freezes the audience) and ``sending.queue_all``: one
  rendered mail per member (merge fields, CSS inlined, sanitised, text part, and the
  tracking part's link rewriting when present) in the outbox: messages/s;
- deliver: ``--workers`` processes each running the outbox's ``drain`` (the ``crm outbox
  drain`` a worker runs) against an aiosmtpd sink in this process, until the sink holds every
  mail: messages/s from the first claim to the last mail received, and the sink's count
  (each address exactly once); beside it the workers' CPU time per mail (what the rate would
  be on idle cores, the SMTP sink's and database's own work apart) and the load average,
  since a shared machine's wall-clock rate says little.

Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "core"))

TARGET = 200
PLUGINS = ["customers", "marketing"]
HTML = """<html><head><style>p { color: #333; font-size: 14px } .cta { color: #fff }</style>
</head><body><p>尊敬的 {{ contact_name }}（{{ customer_name }}）：</p>
<p>会员日特惠，<a class="cta" href="https://shop.example.com/sale">立即查看</a>。</p>
<p><a href="https://shop.example.com/about">关于我们</a></p>
<p><a href="{{ unsubscribe_url }}">退订</a></p></body></html>"""


def config(url: str, instance: str, smtp_url: str) -> dict[str, Any]:
    """The app settings of the bench (no rate limit per domain, a local SMTP sink)."""
    return {"CRM_DATABASE_URL": url, "CRM_INSTANCE_PATH": instance, "CRM_PLUGINS": PLUGINS,
            "CRM_SECRET_KEY": "bench", "TESTING": True, "CRM_SMTP_URL": smtp_url,
            "CRM_MAIL_FROM": "bench@example.com", "CRM_BASE_URL": "https://crm.example.com",
            "CRM_MARKETING_DOMAIN_RATE": 10**9, "CRM_MARKETING_SEND_INLINE": 10**9,
            "CRM_BROKER_URL": f"sqla+sqlite:///{instance}/broker.sqlite"}


def build(settings: dict[str, Any], recipients: int) -> int:
    """The data set; returns the approved campaign's id."""
    from crm_core.app import create_app
    from crm_core.auth.service import create_user
    from crm_core.migrate import upgrade
    from plugins.customers import services as customers
    from plugins.marketing.consents import record_consent
    from plugins.marketing.models import Campaign

    app = create_app(settings)
    with app.app_context():
        upgrade(app)
        session = app.extensions["crm_db"].new_session()
        create_user(session, "bench-admin", "bench-password-2026!", superuser=True)
        tag = customers.create_tag(session, "bench")
        for number in range(recipients):
            customer = customers.create_customer(session, name=f"华东制造 {number}")
            email = f"buyer{number}@shop{number % 20}.example.com"
            customers.add_contact(session, customer.id, f"王经理{number}", email=email,
                                  is_primary=True)
            customers.add_tag(session, customer.id, tag.id)
            record_consent(session, {"email": email, "granted": True, "source": "bench"}, None)
            if number % 500 == 499:
                session.commit()
        campaign = Campaign(name="会员日", type="email", subject="{{ contact_name }}，会员日特惠",
                            html=HTML, state="approved",
                            audience={"tag_ids": [tag.id], "contacts": "primary"})
        session.add(campaign)
        session.commit()
        campaign_id = campaign.id
        session.close()
    app.extensions["crm_db"].engine.dispose()
    return campaign_id


def queue(settings: dict[str, Any], campaign_id: int) -> tuple[int, float]:
    """Start the send and queue every mail; (mails, seconds)."""
    from sqlalchemy import select

    from crm_core.app import create_app
    from crm_core.auth.models import User
    from plugins.marketing.mail import sending
    from plugins.marketing.models import Campaign

    app = create_app(settings)
    with app.test_request_context():
        session = app.extensions["crm_db"].new_session()
        admin = session.scalars(select(User).where(User.username == "bench-admin")).one()
        began = time.perf_counter()
        send = sending.start_send(session, session.get(Campaign, campaign_id), admin)
        session.commit()
        queued = sending.queue_all(campaign_id)
        seconds = time.perf_counter() - began
        session.close()
        assert queued == send.total, (queued, send.total)
    app.extensions["crm_db"].engine.dispose()
    return queued, seconds


def worker(settings: dict[str, Any], start: Any, results: Any) -> None:
    """One outbox worker: drain until nothing is due; reports (mails, CPU seconds)."""
    from crm_core.app import create_app
    from crm_core.outbox.delivery import drain

    app = create_app(settings)
    with app.app_context():
        start.wait()
        began, delivered = time.process_time(), 0
        while count := drain().delivered:
            delivered += count
        results.put((delivered, time.process_time() - began))


def main() -> None:
    """Build, queue, deliver, print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    from outbox_smtp import SmtpServer

    instance = tempfile.mkdtemp(prefix="crm-bench-send-")
    if args.database == "postgres":
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        name = f"crm_bench_send_{uuid.uuid4().hex[:8]}"
        admin = create_engine(args.postgres_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(args.postgres_url).set(database=name).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{instance}/crm.sqlite"
    server = SmtpServer().start()
    settings = config(url, instance, server.url)
    began = time.perf_counter()
    campaign_id = build(settings, args.recipients)
    print(f"built {args.recipients} recipients in {time.perf_counter() - began:.1f} s",
          file=sys.stderr)
    queued, queue_seconds = queue(settings, campaign_id)
    context = multiprocessing.get_context("spawn")
    start, results = context.Event(), context.Queue()
    workers = [context.Process(target=worker, args=(settings, start, results))
               for _ in range(args.workers)]
    for process in workers:
        process.start()
    time.sleep(8)  # the workers' apps are built before the clock starts
    began = time.perf_counter()
    start.set()
    server.wait_for(queued, timeout=600)
    deliver_seconds = time.perf_counter() - began
    done = [results.get(timeout=120) for _ in workers]
    for process in workers:
        process.join(timeout=60)
    cpu_per_mail = sum(cpu for _, cpu in done) / max(1, sum(count for count, _ in done))
    received = [str(message["To"]) for message in server.messages]
    server.stop()
    if args.database == "postgres":
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    shutil.rmtree(instance, ignore_errors=True)
    rate = len(received) / deliver_seconds
    print(f"\nCampaign e-mail, {args.database}, {args.recipients} recipients, "
          f"{args.workers} workers, {os.cpu_count()} CPUs\n")
    print("| figure | value | target |\n|---|---|---|")
    print(f"| queue (render + outbox) | {queued / queue_seconds:,.0f} messages/s "
          f"({queue_seconds:.1f} s) | |")
    print(f"| deliver to SMTP sink | {rate:,.0f} messages/s ({deliver_seconds:.1f} s) "
          f"| ≥ {TARGET} messages/s |")
    idle_rate = args.workers / max(cpu_per_mail, 1e-9)
    print(f"| worker CPU per mail | {cpu_per_mail * 1000:.1f} ms (≈ {idle_rate:,.0f} "
          f"messages/s on {args.workers} idle cores) | |")
    print(f"| load average at the end | {os.getloadavg()[0]:.1f} | |")
    print(f"| mails received / distinct addresses | {len(received)} / {len(set(received))} "
          f"| each once |")


if __name__ == "__main__":
    main()
