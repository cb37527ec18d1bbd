"""Helpers of the customers tests (no tests here): users with roles, sessions and signed-in
clients that do not share an app context, customers, and reading the list page."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from contextlib import contextmanager
from html import unescape

from crm_core.auth.models import User
from crm_core.db import get_session
from crm_core.rbac.service import assign_roles
from crm_core.testing import create_test_user, login
from plugins.customers import services
from plugins.customers.demo.generator import customer_rows


@contextmanager
def app_session(app) -> Iterator:
    """A session in its own app context, committed and closed on leaving: set up data with
    it, then make requests outside it (a shared context would keep the signed-in user)."""
    with app.app_context():
        session = get_session()
        yield session
        session.commit()


def add_user(app, session, name, roles=(), department_id=None, superuser=False):
    """A user in ``department_id`` holding ``roles``; returns its id."""
    session.commit()  # the user is made in another session: SQLite allows one writer
    user = create_test_user(app, name, superuser=superuser)
    session.get(User, user.id).department_id = department_id
    assign_roles(session, user.id, list(roles))
    session.commit()
    return user.id


class _Id:
    def __init__(self, user_id):
        self.id = user_id


def client_for(app, user_id):
    """A test client signed in as the user."""
    return login(app.test_client(), _Id(user_id))


def add_customers(session, names, **fields):
    """Customers with these names (and the same other fields); returns their ids."""
    ids = [services.create_customer(session, name=name, **fields).id for name in names]
    session.commit()
    return ids


def listed(html):
    """The customer names of a list or trash page, in the order shown."""
    table = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    return [unescape(name).strip()
            for name in re.findall(r'class="fw-semibold"[^>]*>([^<]+)<', table)]


def link(html, rel):
    """The href of the page's rel=prev / rel=next link, or None."""
    match = re.search(rf'rel="{rel}" href="([^"]+)"', html)
    return unescape(match.group(1)) if match else None


def csrf(html):
    """A CSRF token from a page's form."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def add_staff(app, session, name, roles=(), department_id=None, superuser=False):
    """Like ``add_user``, but returns the ``User`` (loaded in ``session``)."""
    return session.get(User, add_user(app, session, name, roles, department_id, superuser))


class Browser:
    """A signed-in test client whose every request runs in a fresh app context (the
    ``session`` fixture's context would otherwise cache its own anonymous user)."""

    def __init__(self, app, user):
        self.app, self.client = app, login(app.test_client(), user)

    def get(self, *args, **kwargs):
        with self.app.app_context():
            return self.client.get(*args, **kwargs)

    def post(self, *args, **kwargs):
        with self.app.app_context():
            return self.client.post(*args, **kwargs)


IMPORT_HEADERS = ["客户名称", "行业", "省份", "城市", "手机", "邮箱", "统一社会信用代码", "地址",
                  "网址"]


def _national(number):
    """How people type a stored number: 13812345678, 01062345678; others as stored."""
    if number.startswith("+86"):
        national = number[3:]
        return national if len(national) == 11 and national[0] == "1" else "0" + national
    return number


def import_file(path, count):
    """A CSV of ``count`` new demo customers with Chinese headers, as Excel saves it."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(IMPORT_HEADERS)
        for row in customer_rows(count, seed=7, start=9_000_000):
            writer.writerow([row["name"], row["industry"], row["province"], row["city"],
                             ";".join(_national(number) for number in row["phones"]),
                             ";".join(row["emails"]), row["uscc"] or "", row["address"],
                             row["website"]])
    return path
