"""The load test of issue 18: staff using the CRM through the browser, against ``crm serve``.

    .venv/bin/python bench/locust/run.py          # builds the instance, serves it, runs this

or, against an instance you serve yourself (``LOCUST_USERS``: comma-separated user names,
all with the password ``LOCUST_PASSWORD``):

    LOCUST_USERS=rep00,rep01 LOCUST_PASSWORD=... .venv/bin/locust -f bench/locust/locustfile.py \\
        --headless -u 200 -r 10 -t 3m --host http://127.0.0.1:5000 --csv bench/.data/locust/run

Each simulated person signs in once (a session cookie, as a browser keeps it), then, with a
pause of 2-10 s between pages (someone reading the page), does one of these, by weight:

| task | weight | request |
|---|---|---|
| customer list | 25 | ``GET /customers/`` (first page; a later page one time in four) |
| search | 15 | ``GET /customers/?q=…`` (a name fragment, phone digits or a city) |
| 360° page | 20 | ``GET /customers/<id>`` (a customer of the last list they saw) |
| contact record | 8 | ``POST /customers/<id>/records`` (a call with a next follow-up date) |
| kanban | 12 | ``GET /sales/kanban`` (the opportunity board) |
| ticket queue | 12 | ``GET /service/tickets`` (the service ticket list) |

Requests are named by task (``/customers/[id]``), so the CSV has one row per kind. A GET
whose kept-alive connection the server closed as it was reused is sent once more, as a
browser does (the time of both counts).
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import random
import re

from locust import HttpUser, between, task
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

USERS = [name for name in os.environ.get("LOCUST_USERS", "admin").split(",") if name]
PASSWORD = os.environ.get("LOCUST_PASSWORD", "")
SEARCHES = ("科技", "贸易", "上海", "北京", "有限", "华", "138", "深圳", "电子", "服务")
_accounts = itertools.cycle(USERS)
_CUSTOMER = re.compile(r'href="/customers/(\d+)"')
_TOKEN = re.compile(r'name="(?:new-record-)?csrf_token"[^>]*value="([^"]+)"'
                    r'|value="([^"]+)"[^>]*name="(?:new-record-)?csrf_token"')
_CURSOR = re.compile(r'href="(/customers/\?[^"]*cursor=[^"]+)"')


def _token(page: str) -> str | None:
    found = _TOKEN.search(page)
    return (found.group(1) or found.group(2)) if found else None


class Staff(HttpUser):
    """A sales rep or service agent at work."""

    wait_time = between(2, 10)

    def on_start(self) -> None:
        # A browser sends a GET again when the server closed the kept-alive connection just
        # as it reused it (gunicorn's keep-alive is 5 s, the pauses here 2-10 s); so do we,
        # once, for GETs only. A POST is never sent twice.
        again = HTTPAdapter(max_retries=Retry(total=1, connect=1, read=1, status=0,
                                              allowed_methods=frozenset({"GET"})))
        self.client.mount("http://", again)
        self.customers: list[str] = []
        self.next_page: str | None = None
        login = self.client.get("/login", name="sign-in (form)")
        token = _token(login.text)
        self.client.post("/login", name="sign-in", data={
            "csrf_token": token, "username": next(_accounts), "password": PASSWORD})
        self.customer_list()

    def _remember(self, page: str) -> None:
        found = _CUSTOMER.findall(page)
        if found:
            self.customers = found
        cursor = _CURSOR.search(page)
        self.next_page = cursor.group(1).replace("&amp;", "&") if cursor else None

    @task(25)
    def customer_list(self) -> None:
        if self.next_page and random.random() < 0.25:
            page = self.client.get(self.next_page, name="customer list (next page)")
        else:
            page = self.client.get("/customers/", name="customer list")
        self._remember(page.text)

    @task(15)
    def search(self) -> None:
        page = self.client.get("/customers/", params={"q": random.choice(SEARCHES)},
                               name="search")
        self._remember(page.text)

    @task(20)
    def customer_page(self) -> None:
        if self.customers:
            self.client.get(f"/customers/{random.choice(self.customers)}",
                            name="360° page")

    @task(8)
    def contact_record(self) -> None:
        if not self.customers:
            return
        customer = random.choice(self.customers)
        page = self.client.get(f"/customers/{customer}", name="360° page")
        token = _token(page.text)
        if token is None:
            return
        follow_up = dt.date.today() + dt.timedelta(days=random.randint(1, 14))
        self.client.post(f"/customers/{customer}/records", name="contact record (create)",
                         data={"new-record-csrf_token": token, "csrf_token": token,
                               "new-record-kind": "call",
                               "new-record-content": "回访：客户确认下周再联系。",
                               "new-record-next_follow_up": follow_up.isoformat()})

    @task(12)
    def kanban(self) -> None:
        self.client.get("/sales/kanban", name="opportunity kanban")

    @task(12)
    def ticket_queue(self) -> None:
        self.client.get("/service/tickets", name="ticket queue")
