"""A fake DingTalk for tests and demos: a small WSGI server on 127.0.0.1 (a random port, in a
thread) with the token and approval-create endpoints of the new API, and a "decide" action
that posts a correctly encrypted and signed ``bpms_instance_change`` callback to the CRM.

    fake = FakeDingTalk(app_key="dingkey", app_secret="s3cret", token="tok",
                        aes_key="…43 characters…", corp_id="dingcorp").start()
    fake.url                      # http://127.0.0.1:PORT: the connection's --base-url
    fake.decide(instance_id, agree=True, staff_id="u1", send=post)   # post(params, body)
    POST {fake.url}/_fake/decide {"instanceId", "result": "agree", "callback": URL}
    fake.stop()

``fail_next`` queues answers (HTTP status, JSON body) for the next API calls, to test
throttling, 5xx and 4xx. The callback is built with the protocol layer's ``seal``, whose
output the published vectors pin.
"""

from __future__ import annotations

import itertools
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from ..protocol.callback_crypto import CallbackCrypto, new_nonce

Send = Callable[[dict[str, str], bytes], Any]


@dataclass
class FakeDingTalk:
    """The fake's settings and what it saw (``instances``, ``token_fetches``, ``calls``)."""

    app_key: str
    app_secret: str
    token: str
    aes_key: str
    corp_id: str = ""
    receiver: str = ""
    instances: dict[str, dict[str, Any]] = field(default_factory=dict)
    token_fetches: int = 0
    calls: list[str] = field(default_factory=list)
    fail_next: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    #: The contact book: ``{"dept_id", "name", "parent_id"}`` and ``{"userid", "name",
    #: "mobile", "email", "dept_id_list", "active"}`` rows the org API answers from.
    departments: list[dict[str, Any]] = field(default_factory=list)
    people: list[dict[str, Any]] = field(default_factory=list)
    notices: list[dict[str, Any]] = field(default_factory=list)
    robot_secret: str = ""
    robot_posts: list[dict[str, Any]] = field(default_factory=list)
    #: Sign-in: the DingTalk user who consents on ``/oauth2/auth``, codes and user tokens.
    signing_in: str = ""
    codes: dict[str, str] = field(default_factory=dict)
    user_tokens: dict[str, str] = field(default_factory=dict)
    _access: str = ""
    _server: Any = None
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    @property
    def crypto(self) -> CallbackCrypto:
        """The callback crypto, with the corp id (else the app key) as trailer."""
        return CallbackCrypto(self.token, self.aes_key,
                              self.receiver or self.corp_id or self.app_key)

    @property
    def url(self) -> str:
        """The fake's base URL."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeDingTalk:
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

    # -- the API -----------------------------------------------------------------------------

    def _answer(self, request: Request) -> tuple[int, dict[str, Any]]:
        self.calls.append(request.path)
        if self.fail_next and not request.path.startswith("/_fake"):
            return self.fail_next.pop(0)
        body = request.get_json(silent=True) or {}
        if request.path == "/v1.0/oauth2/accessToken" and request.method == "POST":
            if body.get("appKey") != self.app_key or body.get("appSecret") != self.app_secret:
                return 400, {"code": "invalidClientIdOrSecret", "message": "bad app secret"}
            self.token_fetches += 1
            self._access = secrets.token_hex(16)
            return 200, {"accessToken": self._access, "expireIn": 7200}
        if request.path == "/v1.0/workflow/processInstances" and request.method == "POST":
            if not self._access or \
                    request.headers.get("x-acs-dingtalk-access-token") != self._access:
                return 401, {"code": "InvalidAuthentication", "message": "token"}
            missing = [name for name in ("originatorUserId", "processCode",
                                         "formComponentValues") if not body.get(name)]
            if missing:
                return 400, {"code": "MissingParameter", "message": ",".join(missing)}
            instance_id = f"PI-{next(self._ids)}"
            self.instances[instance_id] = {**body, "status": "RUNNING"}
            return 200, {"instanceId": instance_id}
        if request.path.startswith(("/oauth2/", "/v1.0/oauth2/userAccessToken",
                                    "/v1.0/contact/users/me")):
            return self._signin(request, body)
        if request.path.startswith("/topapi/"):
            if not self._access or request.args.get("access_token") != self._access:
                return 200, {"errcode": 40014, "errmsg": "invalid access_token"}
            return self._oapi(request.path, body)
        if request.path == "/robot/send" and request.method == "POST":
            return self._robot(request, body)
        if request.path == "/_fake/decide" and request.method == "POST":
            response = self.decide(body["instanceId"], agree=body.get("result") == "agree",
                                   staff_id=body.get("staffId", ""),
                                   send=http_sender(body["callback"]))
            return 200, {"callbackStatus": response.status_code}
        return 404, {"code": "NotFound", "message": request.path}

    def _oapi(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """The old-host API: work notices and the contact book (errcode answers)."""
        if path == "/topapi/message/corpconversation/asyncsend_v2":
            if not body.get("userid_list") or "msg" not in body:
                return 200, {"errcode": 40035, "errmsg": "missing userid_list or msg"}
            self.notices.append(body)
            return 200, {"errcode": 0, "task_id": len(self.notices)}
        if path == "/topapi/user/getbyunionid":
            userid = str(body.get("unionid", "")).removeprefix("union-")
            if not any(row.get("userid") == userid for row in self.people):
                return 200, {"errcode": 60121, "errmsg": "user not found"}
            return 200, {"errcode": 0, "result": {"contact_type": 0, "userid": userid}}
        if path == "/topapi/v2/user/getbymobile":
            found = [row["userid"] for row in self.people
                     if row.get("mobile") == body.get("mobile")]
            if not found:
                return 200, {"errcode": 60121, "errmsg": "user not found"}
            return 200, {"errcode": 0, "result": {"userid": found[0]}}
        if path == "/topapi/v2/department/listsub":
            parent = int(body.get("dept_id", 1))
            return 200, {"errcode": 0, "result": [
                row for row in self.departments if int(row.get("parent_id", 1)) == parent]}
        if path == "/topapi/v2/user/list":
            dept, cursor = int(body.get("dept_id", 1)), int(body.get("cursor", 0))
            size = min(int(body.get("size", 100)), 2)  # small pages: the cursor is exercised
            rows = [row for row in self.people
                    if dept in [int(value) for value in row.get("dept_id_list") or [1]]]
            page = rows[cursor:cursor + size]
            more = cursor + size < len(rows)
            return 200, {"errcode": 0, "result": {"has_more": more, "list": page,
                                                   **({"next_cursor": cursor + size}
                                                      if more else {})}}
        return 200, {"errcode": 404, "errmsg": path}

    def _signin(self, request: Request, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """The OAuth pages: consent as ``signing_in``, a code once, the user's own token."""
        if request.path == "/oauth2/auth":
            redirect, state = request.args.get("redirect_uri", ""), request.args.get("state")
            if request.args.get("client_id") != self.app_key or not redirect or not state or \
                    not self.signing_in:
                return 400, {"code": "invalidRequest", "message": "bad authorize request"}
            code = secrets.token_hex(8)
            self.codes[code] = self.signing_in
            return 302, {"location": f"{redirect}?authCode={code}&code={code}&state={state}"}
        if request.path == "/v1.0/oauth2/userAccessToken":
            user = self.codes.pop(str(body.get("code", "")), None)
            if user is None or body.get("clientSecret") != self.app_secret:
                return 400, {"code": "invalidAuthCode", "message": "bad code"}
            token = secrets.token_hex(12)
            self.user_tokens[token] = user
            return 200, {"accessToken": token, "refreshToken": "r", "expireIn": 7200}
        user = self.user_tokens.get(request.headers.get("x-acs-dingtalk-access-token", ""))
        if user is None:
            return 401, {"code": "InvalidAuthentication", "message": "user token"}
        person = next((row for row in self.people if row.get("userid") == user), {})
        return 200, {"unionId": f"union-{user}", "nick": person.get("name", ""),
                     "mobile": person.get("mobile", "")}

    def _robot(self, request: Request, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """The group robot: checks the ms timestamp and the signature when it has a secret."""
        from ..protocol.errors import CallbackRefused
        from ..protocol.robots import verify_dingtalk_robot

        if self.robot_secret:
            try:
                verify_dingtalk_robot(self.robot_secret, request.args.get("timestamp", ""),
                                      request.args.get("sign", ""))
            except CallbackRefused:
                return 200, {"errcode": 310000, "errmsg": "sign not match"}
        self.robot_posts.append(body)
        return 200, {"errcode": 0, "errmsg": "ok"}

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        status, body = self._answer(Request(environ))
        if status == 302:
            return Response("", status=302,
                            headers={"Location": body["location"]})(environ, start_response)
        return Response(json.dumps(body), status=status,
                        mimetype="application/json")(environ, start_response)

    # -- callbacks ---------------------------------------------------------------------------

    def callback(self, event: dict[str, Any], *, timestamp_ms: int | None = None,
                 crypto: CallbackCrypto | None = None) -> tuple[dict[str, str], bytes]:
        """The query parameters and body of a signed, encrypted callback carrying ``event``."""
        timestamp = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
        sealed = (crypto or self.crypto).seal(json.dumps(event), timestamp=timestamp,
                                               nonce=new_nonce())
        params = {"msg_signature": sealed.signature, "timestamp": str(sealed.timestamp),
                  "nonce": sealed.nonce}
        return params, json.dumps({"encrypt": sealed.encrypt}).encode()

    def decision_event(self, instance_id: str, *, agree: bool, staff_id: str = "",
                       remark: str = "") -> dict[str, Any]:
        """The ``bpms_instance_change`` event of a finished instance."""
        instance = self.instances.get(instance_id, {})
        return {"EventType": "bpms_instance_change", "processInstanceId": instance_id,
                "corpId": self.corp_id, "type": "finish",
                "result": "agree" if agree else "refuse", "staffId": staff_id,
                "remark": remark, "processCode": instance.get("processCode", ""),
                "finishTime": int(time.time() * 1000)}

    def decide(self, instance_id: str, *, agree: bool, send: Send, staff_id: str = "",
               remark: str = "") -> Any:
        """Finish an instance and post its callback through ``send(params, body)``."""
        if instance_id in self.instances:
            self.instances[instance_id]["status"] = "COMPLETED"
        params, body = self.callback(self.decision_event(instance_id, agree=agree,
                                                         staff_id=staff_id, remark=remark))
        return send(params, body)


def http_sender(url: str) -> Send:
    """A ``send`` posting to a live CRM at ``url`` (its ``/oa/callback/<name>``)."""
    def send(params: dict[str, str], body: bytes) -> httpx.Response:
        return httpx.post(url, params=params, content=body, timeout=10,
                          headers={"Content-Type": "application/json"})
    return send
