"""`crm serve` keeps connections open, and a refused request leaves its connection usable.

A browser sends its next request on the connection of the last answer. An answer given
before the app read the request's body (a refused form, a method the address does not take)
must not leave that body on the connection, where it would be read as the next request or
make the next answer wait. Real gunicorn on a free port of 127.0.0.1, stopped at the end.
"""

from __future__ import annotations

import http.client
import re
import time
import urllib.parse
from collections.abc import Iterator

import pytest
from serving import crm_served

PASSWORD = "keepalive-test-Pw-2468"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """``crm serve`` (one worker) on a migrated kernel-only instance; yields its port."""
    with crm_served(tmp_path_factory.mktemp("keepalive"), PASSWORD) as port:
        yield port


class Browser:
    """One HTTP/1.1 connection with cookies, as a browser tab keeps it."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
        self.cookies: dict[str, str] = {}

    def send(self, method: str, path: str, body: bytes | None = None,
             headers: dict[str, str] | None = None) -> tuple[http.client.HTTPResponse, str]:
        """The answer and its text; fails the test if the connection was replaced."""
        before = self.connection.sock
        cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        self.connection.request(method, path, body=body,
                                headers={**(headers or {}), "Cookie": cookie})
        answer = self.connection.getresponse()
        text = answer.read().decode("utf-8", "replace")
        for line in answer.headers.get_all("Set-Cookie") or []:
            name, _, value = line.split(";", 1)[0].partition("=")
            self.cookies[name] = value
        assert before is None or self.connection.sock is before, "a new connection was opened"
        assert (answer.headers.get("Connection") or "").lower() != "close", answer.headers
        return answer, text


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def _form(**fields: str) -> bytes:
    return urllib.parse.urlencode(fields).encode()


def test_a_sign_in_after_a_refused_one_is_answered_on_the_same_connection(served):
    browser = Browser(served)
    answer, page = browser.send("GET", "/login")
    assert answer.status == 200
    token = _csrf(page)

    # A form whose CSRF token is wrong is refused before its fields are looked at.
    answer, _ = browser.send("POST", "/login", _form(csrf_token="forged", username="admin",
                                                     password=PASSWORD), FORM)
    assert answer.status == 400
    # A wrong password: the form is shown again.
    answer, page = browser.send("POST", "/login", _form(csrf_token=token, username="admin",
                                                        password="not-it"), FORM)
    assert answer.status in (200, 400) and "username" in page
    started = time.monotonic()
    answer, _ = browser.send("POST", "/login", _form(csrf_token=_csrf(page), username="admin",
                                                     password=PASSWORD), FORM)
    assert answer.status == 302 and time.monotonic() - started < 10
    answer, page = browser.send("GET", answer.headers["Location"])
    assert answer.status == 200 and "Dashboard" in page


def test_a_body_the_app_never_read_does_not_reach_the_next_request(served):
    browser = Browser(served)
    # /healthz takes no POST: 405 without reading the body, which looks like a request.
    unread = b"GET /not-this HTTP/1.1\r\nHost: x\r\n\r\n" + b"x" * 200_000
    answer, _ = browser.send("POST", "/healthz", unread, FORM)
    assert answer.status == 405
    started = time.monotonic()
    answer, text = browser.send("GET", "/healthz")
    assert answer.status == 200 and time.monotonic() - started < 10, text
    answer, _ = browser.send("GET", "/healthz")
    assert answer.status == 200
