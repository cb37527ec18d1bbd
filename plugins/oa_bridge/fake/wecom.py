"""A fake WeCom (企业微信) for tests and demos, on the shared fake server:

- ``GET /cgi-bin/gettoken`` checks the corp id and secret; every other ``/cgi-bin`` call
  checks ``access_token`` (errcode 42001 otherwise);
- ``POST /cgi-bin/oa/applyevent`` (approval create) → ``sp_no``;
- ``POST /cgi-bin/message/send`` (app messages, kept in ``messages``);
- ``GET /cgi-bin/department/list``, ``GET /cgi-bin/user/list``, ``POST /cgi-bin/user/getuserid``
  from ``departments`` (``id``, ``name``, ``parentid``) and ``people`` (``userid``, ``name``,
  ``mobile``, ``email``, ``department``, ``status``);
- ``POST /cgi-bin/webhook/send?key=`` (a group robot: the key must be ``robot_key``);
- sign-in: ``/wwlogin/sso/login`` sends ``signing_in`` back with a code,
  ``GET /cgi-bin/auth/getuserinfo?code=`` answers their userid once;
- ``decide(sp_no, status, send)`` posts an encrypted ``sys_approval_change`` callback
  (``SpStatus`` 2 approved, 3 rejected, 4 withdrawn), and ``POST /_fake/decide``
  ``{"sp_no", "status", "callback"}`` does it for a live CRM.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Request

from ..protocol.callback_crypto import CallbackCrypto, new_nonce
from .base import FakeServer, post_to


@dataclass
class FakeWeCom(FakeServer):
    """A WeCom corp with one self-built app."""

    corp_id: str = "wwcorp"
    secret: str = "corp-app-secret"
    token: str = "wxtoken"
    aes_key: str = ""
    agent_id: str = "1000002"
    robot_key: str = "robot-key"
    _ids: Any = field(default_factory=lambda: itertools.count(202400001))

    def answer(self, request: Request) -> tuple[int, dict[str, Any]]:
        """The WeCom API: errcode answers with HTTP 200."""
        path, body = request.path, request.get_json(silent=True) or {}
        if path == "/cgi-bin/gettoken":
            if request.args.get("corpid") != self.corp_id or \
                    request.args.get("corpsecret") != self.secret:
                return 200, {"errcode": 40001, "errmsg": "invalid credential"}
            return 200, {"errcode": 0, "access_token": self.new_token(), "expires_in": 7200}
        if path == "/wwlogin/sso/login":
            if request.args.get("appid") != self.corp_id:
                return 400, {"errcode": 40013, "errmsg": "invalid corpid"}
            return self.authorize(request)
        if path == "/cgi-bin/webhook/send":
            if request.args.get("key") != self.robot_key:
                return 200, {"errcode": 93000, "errmsg": "invalid webhook url"}
            self.robot_posts.append(body)
            return 200, {"errcode": 0, "errmsg": "ok"}
        if path == "/_fake/decide":
            response = self.decide(str(body["sp_no"]), int(body.get("status", 2)),
                                   send=post_to(body["callback"]))
            return 200, {"callbackStatus": response.status_code}
        if not self._access or request.args.get("access_token") != self._access:
            return 200, {"errcode": 42001, "errmsg": "access_token expired"}
        return self._api(path, request, body)

    def _api(self, path: str, request: Request, body: dict[str, Any]
             ) -> tuple[int, dict[str, Any]]:
        if path == "/cgi-bin/oa/applyevent":
            if not body.get("creator_userid") or not body.get("template_id"):
                return 200, {"errcode": 301025, "errmsg": "missing creator or template"}
            sp_no = str(next(self._ids))
            self.instances[sp_no] = {**body, "status": 1}
            return 200, {"errcode": 0, "errmsg": "ok", "sp_no": sp_no}
        if path == "/cgi-bin/message/send":
            if not body.get("touser") or str(body.get("agentid")) != self.agent_id:
                return 200, {"errcode": 40056, "errmsg": "invalid agentid"}
            self.messages.append(body)
            return 200, {"errcode": 0, "errmsg": "ok", "invaliduser": ""}
        if path == "/cgi-bin/auth/getuserinfo":
            userid = self.take_code(request.args.get("code", ""))
            if userid is None:
                return 200, {"errcode": 40029, "errmsg": "invalid code"}
            return 200, {"errcode": 0, "userid": userid}
        if path == "/cgi-bin/department/list":
            return 200, {"errcode": 0, "department": self.departments}
        if path == "/cgi-bin/user/list":
            dept = int(request.args.get("department_id", 1))
            return 200, {"errcode": 0, "userlist": [
                row for row in self.people if dept in (row.get("department") or [1])]}
        if path == "/cgi-bin/user/getuserid":
            found = [row["userid"] for row in self.people
                     if row.get("mobile") == body.get("mobile")]
            if not found:
                return 200, {"errcode": 46004, "errmsg": "user not exist"}
            return 200, {"errcode": 0, "userid": found[0]}
        return 200, {"errcode": 404, "errmsg": path}

    def callback(self, xml: str) -> tuple[dict[str, str], bytes]:
        """The query parameters and body of an encrypted, signed callback carrying ``xml``."""
        now = str(int(time.time()))
        sealed = CallbackCrypto(self.token, self.aes_key, self.corp_id).seal(
            xml, timestamp=now, nonce=new_nonce())
        body = (f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName>"
                f"<Encrypt><![CDATA[{sealed.encrypt}]]></Encrypt>"
                f"<AgentID><![CDATA[{self.agent_id}]]></AgentID></xml>")
        return ({"msg_signature": sealed.signature, "timestamp": now, "nonce": sealed.nonce},
                body.encode())

    def decide(self, sp_no: str, status: int, *, send: Any) -> Any:
        """Set an application's SpStatus and post its ``sys_approval_change`` callback."""
        if sp_no in self.instances:
            self.instances[sp_no]["status"] = status
        xml = (f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName>"
               "<FromUserName><![CDATA[sys]]></FromUserName>"
               f"<CreateTime>{int(time.time())}</CreateTime><MsgType>event</MsgType>"
               f"<Event>sys_approval_change</Event><AgentID>{self.agent_id}</AgentID>"
               f"<ApprovalInfo><SpNo>{sp_no}</SpNo><SpStatus>{status}</SpStatus>"
               "</ApprovalInfo></xml>")
        params, body = self.callback(xml)
        return send(params, body)
