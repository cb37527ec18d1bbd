"""What the fake vendor servers share: a threaded WSGI server on 127.0.0.1 with a free port,
a queue of canned failures (``fail_next``), a log of paths (``calls``) and the people and
departments of a contact book. Each fake answers its vendor's JSON from ``answer(request)``.
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

import httpx
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


@dataclass
class FakeServer:
    """The shared machinery; subclasses implement ``answer``."""

    calls: list[str] = field(default_factory=list, kw_only=True)
    fail_next: list[tuple[int, dict[str, Any]]] = field(default_factory=list, kw_only=True)
    token_fetches: int = field(default=0, kw_only=True)
    instances: dict[str, dict[str, Any]] = field(default_factory=dict, kw_only=True)
    messages: list[dict[str, Any]] = field(default_factory=list, kw_only=True)
    robot_posts: list[dict[str, Any]] = field(default_factory=list, kw_only=True)
    departments: list[dict[str, Any]] = field(default_factory=list, kw_only=True)
    people: list[dict[str, Any]] = field(default_factory=list, kw_only=True)
    #: The OA user who "signs in" on the fake's authorize page, and the codes it issued.
    signing_in: str = field(default="", kw_only=True)
    codes: dict[str, str] = field(default_factory=dict, kw_only=True)
    _access: str = field(default="", kw_only=True)
    _server: Any = field(default=None, kw_only=True)

    @property
    def url(self) -> str:
        """The fake's base URL."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Any:
        """Serve in a daemon thread on a free port of 127.0.0.1."""
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        # a short poll, so that stop() returns at once
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                         daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()

    def new_token(self) -> str:
        """Issue a new access token (the old one stops working)."""
        self.token_fetches += 1
        self._access = secrets.token_hex(16)
        return self._access

    def answer(self, request: Request) -> tuple[int, dict[str, Any]]:
        """The vendor's answer to one API request."""
        raise NotImplementedError

    def authorize(self, request: Request) -> tuple[int, dict[str, Any]]:
        """The sign-in page: ``signing_in`` consents at once; back to ``redirect_uri`` with a
        one-time code and the ``state``."""
        redirect, state = request.args.get("redirect_uri", ""), request.args.get("state", "")
        if not redirect or not state or not self.signing_in:
            return 400, {"code": 400, "msg": "redirect_uri, state and a user are required"}
        code = secrets.token_hex(8)
        self.codes[code] = self.signing_in
        joiner = "&" if "?" in redirect else "?"
        return 302, {"location": f"{redirect}{joiner}code={code}&state={state}"}

    def take_code(self, code: str) -> str | None:
        """The user a code was issued to; a code works once."""
        return self.codes.pop(code, None)

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        self.calls.append(request.path)
        if self.fail_next and not request.path.startswith("/_fake"):
            status, body = self.fail_next.pop(0)
        else:
            status, body = self.answer(request)
        if status == 302:
            return Response("", status=302,
                            headers={"Location": body["location"]})(environ, start_response)
        return Response(json.dumps(body), status=status,
                        mimetype="application/json")(environ, start_response)


def post_to(url: str) -> Any:
    """A ``send(params, body, headers)`` posting a callback to a live CRM at ``url``."""
    def send(params: dict[str, str], body: bytes, headers: dict[str, str] | None = None) -> Any:
        return httpx.post(url, params=params, content=body, timeout=10,
                          headers=headers or {"Content-Type": "application/json"})
    return send
