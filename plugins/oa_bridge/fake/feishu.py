"""A fake Feishu (飞书) for tests and demos, on the shared fake server:

- ``POST /open-apis/auth/v3/tenant_access_token/internal`` checks the app id and secret;
  every other call checks ``Authorization: Bearer`` (code 99991663 otherwise);
- ``POST /open-apis/approval/v4/instances`` (``form`` must be a JSON string) →
  ``instance_code``; the same ``uuid`` gets the same instance;
- ``POST /open-apis/im/v1/messages`` (kept in ``messages``);
- ``GET /open-apis/contact/v3/departments/0/children``, ``GET …/users/find_by_department``,
  ``POST …/users/batch_get_id`` from ``departments`` (``open_department_id``, ``name``,
  ``parent_department_id``) and ``people`` (``user_id``, ``name``, ``mobile``, ``email``,
  ``department_ids``, ``status``);
- ``POST /open-apis/bot/v2/hook/<token>`` (a group bot, signed with ``bot_secret``);
- sign-in: ``/open-apis/authen/v1/authorize``, ``/open-apis/authen/v2/oauth/token`` (the
  code once, JSON) and ``/open-apis/authen/v1/user_info`` (user_id, mobile);
- ``decide(instance_code, status, send)`` posts an encrypted, signed ``approval_instance``
  event (``APPROVED``, ``REJECTED``, ``CANCELED``).
"""

from __future__ import annotations

import itertools
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Request

from ..protocol import feishu as protocol
from ..protocol.errors import CallbackRefused
from ..protocol.robots import verify_feishu_bot
from .base import FakeServer


@dataclass
class FakeFeishu(FakeServer):
    """A Feishu tenant with one custom app."""

    app_id: str = "cli_fake"
    app_secret: str = "feishu-app-secret"
    verification_token: str = "fsverify"
    encrypt_key: str = "feishu encrypt key"
    bot_secret: str = ""
    user_tokens: dict[str, str] = field(default_factory=dict)
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def answer(self, request: Request) -> tuple[int, dict[str, Any]]:
        """The Feishu API: ``{"code": 0, "data": …}``."""
        path, body = request.path, request.get_json(silent=True) or {}
        if path == "/open-apis/auth/v3/tenant_access_token/internal":
            if body.get("app_id") != self.app_id or body.get("app_secret") != self.app_secret:
                return 400, {"code": 10014, "msg": "app secret invalid"}
            return 200, {"code": 0, "tenant_access_token": self.new_token(), "expire": 7200}
        if path == "/open-apis/authen/v1/authorize":
            if request.args.get("client_id") != self.app_id:
                return 400, {"code": 20029, "msg": "invalid client_id"}
            return self.authorize(request)
        if path == "/open-apis/authen/v2/oauth/token":
            user = self.take_code(str(body.get("code", "")))
            if user is None or body.get("client_secret") != self.app_secret:
                return 400, {"code": 20050, "error": "invalid_grant", "msg": "invalid code"}
            token = f"u-{uuid.uuid4().hex}"
            self.user_tokens[token] = user
            return 200, {"code": 0, "access_token": token, "token_type": "Bearer",
                         "expires_in": 7200}
        if path == "/open-apis/authen/v1/user_info":
            bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
            if bearer not in self.user_tokens:
                return 401, {"code": 99991668, "msg": "user access token invalid"}
            user_id = self.user_tokens[bearer]
            person = next((row for row in self.people if row.get("user_id") == user_id), {})
            return 200, {"code": 0, "data": {"user_id": user_id, "name": person.get("name", ""),
                                             "mobile": person.get("mobile", "")}}
        if path.startswith("/open-apis/bot/v2/hook/"):
            if self.bot_secret:
                try:
                    verify_feishu_bot(self.bot_secret, str(body.get("timestamp", "")),
                                      str(body.get("sign", "")))
                except CallbackRefused:
                    return 200, {"code": 19021, "msg": "sign match fail"}
            self.robot_posts.append(body)
            return 200, {"code": 0, "msg": "success"}
        if request.headers.get("Authorization") != f"Bearer {self._access}" or not self._access:
            return 401, {"code": 99991663, "msg": "tenant access token invalid"}
        return self._api(path, request, body)

    def _api(self, path: str, request: Request, body: dict[str, Any]
             ) -> tuple[int, dict[str, Any]]:
        if path == "/open-apis/approval/v4/instances":
            try:
                form = json.loads(body.get("form") or "")
            except (TypeError, ValueError):
                return 400, {"code": 1390001, "msg": "form is not a JSON string"}
            for code, row in self.instances.items():
                if body.get("uuid") and row.get("uuid") == body.get("uuid"):
                    return 200, {"code": 0, "data": {"instance_code": code}}
            code = str(uuid.UUID(int=next(self._ids))).upper()
            self.instances[code] = {**body, "form": form, "status": "PENDING"}
            return 200, {"code": 0, "data": {"instance_code": code}}
        if path == "/open-apis/im/v1/messages":
            if request.args.get("receive_id_type") != "user_id" or not body.get("receive_id"):
                return 400, {"code": 230001, "msg": "invalid receive_id"}
            self.messages.append(body)
            return 200, {"code": 0, "data": {"message_id": f"om_{len(self.messages)}"}}
        if path == "/open-apis/contact/v3/departments/0/children":
            return 200, {"code": 0, "data": {"has_more": False, "items": self.departments}}
        if path == "/open-apis/contact/v3/users/find_by_department":
            dept = request.args.get("department_id", "0")
            rows = [row for row in self.people if dept in (row.get("department_ids") or ["0"])]
            return 200, {"code": 0, "data": {"has_more": False, "items": rows}}
        if path == "/open-apis/contact/v3/users/batch_get_id":
            mobiles = body.get("mobiles") or []
            return 200, {"code": 0, "data": {"user_list": [
                {"mobile": row["mobile"], "user_id": row["user_id"]}
                for row in self.people if row.get("mobile") in mobiles]}}
        return 404, {"code": 404, "msg": path}

    def event(self, event_type: str, event: dict[str, Any]) -> tuple[dict[str, str], bytes]:
        """The headers and body of an encrypted, signed schema-2.0 event."""
        payload = {"schema": "2.0", "header": {
            "event_id": uuid.uuid4().hex, "event_type": event_type, "app_id": self.app_id,
            "token": self.verification_token, "create_time": str(int(time.time() * 1000))},
            "event": event}
        body = json.dumps({"encrypt": protocol.encrypt(json.dumps(payload),
                                                       self.encrypt_key)}).encode()
        timestamp, nonce = str(int(time.time())), uuid.uuid4().hex[:16]
        return ({"X-Lark-Request-Timestamp": timestamp, "X-Lark-Request-Nonce": nonce,
                 "X-Lark-Signature": protocol.request_signature(timestamp, nonce,
                                                                self.encrypt_key, body),
                 "Content-Type": "application/json"}, body)

    def decide(self, instance_code: str, status: str, *, send: Any) -> Any:
        """Set an instance's status and post its ``approval_instance`` event."""
        if instance_code in self.instances:
            self.instances[instance_code]["status"] = status
        row = self.instances.get(instance_code, {})
        headers, body = self.event("approval_instance", {
            "app_id": self.app_id, "approval_code": row.get("approval_code", ""),
            "instance_code": instance_code, "status": status,
            "operate_time": str(int(time.time() * 1000))})
        return send({}, body, headers)
