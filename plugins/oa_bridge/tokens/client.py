"""``OaClient``: one connection's REST calls on httpx, with the shared token cache.

Per vendor it knows the token endpoint and the approval-create endpoint (integrations.md
§3.1-§3.3). Rate limits are respected minimally: a throttled answer (HTTP 429 or the vendor's
throttling code) waits ``Retry-After`` (or a short backoff) and tries once more; an expired
token is dropped from the cache and fetched again once. Anything else raises a
``VendorError`` (``retryable`` for 5xx, network failures and repeated throttling).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy.orm import Session

from ..connections.services import base_url, connection_secrets, oapi_base
from ..models import OaConnection
from ..protocol.api_errors import Throttled, TokenExpired, Unavailable, check_answer
from .cache import cached_token, forget_token

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
#: The longest wait for a throttled call before giving up to the outbox's backoff.
MAX_WAIT = 5.0


class OaClient:
    """REST calls for one connection; ``sleep`` is injectable for tests."""

    def __init__(self, session: Session, connection: OaConnection, *,
                 http: httpx.Client | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        """A client of ``connection``, its tokens cached through ``session``."""
        self.session = session
        self.connection = connection
        self.base = base_url(connection)
        self.http = http or httpx.Client(timeout=TIMEOUT)
        self.sleep = sleep

    def _send(self, method: str, path: str, *, oapi: bool = False,
              **kwargs: Any) -> dict[str, Any]:
        base = oapi_base(self.connection) if oapi else self.base
        try:
            response = self.http.request(method, base + path, **kwargs)
        except httpx.HTTPError as failed:
            raise Unavailable(f"{type(failed).__name__} calling the OA") from None
        try:
            body = response.json()
        except ValueError:
            body = None
        return check_answer(response.status_code, body, response.headers)

    def call(self, method: str, path: str, *, oapi: bool = False,
             **kwargs: Any) -> dict[str, Any]:
        """An authorised call with throttling waits (once) and a fresh token (once).

        ``oapi``: DingTalk's old API host (``oapi.dingtalk.com``: work notices, the contact
        book), which takes the same access token as a query parameter.
        """
        for attempt in range(3):
            try:
                return self._send(method, path, oapi=oapi,
                                  **self._authorised(kwargs, query=oapi))
            except Throttled as throttled:
                if attempt:
                    raise
                self.sleep(min(throttled.retry_after or 1.0, MAX_WAIT))
            except TokenExpired:
                if attempt:
                    raise
                forget_token(self.session, self.connection)
        raise Unavailable("no answer after retries")

    # -- tokens ------------------------------------------------------------------------------

    def _fetch_token(self) -> tuple[str, int]:
        secrets = connection_secrets(self.connection)
        kind = self.connection.kind
        if kind == "dingtalk":
            data = self._send("POST", "/v1.0/oauth2/accessToken",
                              json={"appKey": self.connection.app_key,
                                    "appSecret": secrets.app_secret})
            return str(data["accessToken"]), int(data.get("expireIn", 7200))
        if kind == "wecom":
            data = self._send("GET", "/cgi-bin/gettoken",
                              params={"corpid": self.connection.corp_id,
                                      "corpsecret": secrets.app_secret})
            return str(data["access_token"]), int(data.get("expires_in", 7200))
        data = self._send("POST", "/open-apis/auth/v3/tenant_access_token/internal",
                          json={"app_id": self.connection.app_key,
                                "app_secret": secrets.app_secret})
        return str(data["tenant_access_token"]), int(data.get("expire", 7200))

    def access_token(self) -> str:
        """The connection's access token, from the shared cache or fetched."""
        return cached_token(self.session, self.connection, self._fetch_token)

    def _authorised(self, kwargs: dict[str, Any], query: bool = False) -> dict[str, Any]:
        token = self.access_token()
        kind = self.connection.kind
        if kind == "dingtalk" and not query:
            return {**kwargs, "headers": {"x-acs-dingtalk-access-token": token}}
        if kind in ("wecom", "dingtalk"):
            return {**kwargs, "params": {**kwargs.get("params", {}), "access_token": token}}
        return {**kwargs, "headers": {"Authorization": f"Bearer {token}"}}

    # -- approvals ---------------------------------------------------------------------------

    def create_approval(self, *, process_code: str, oa_user_id: str, oa_dept_id: str,
                        form: list[tuple[str, str]], request_id: str) -> str:
        """Start an OA approval under ``oa_user_id``; returns the OA instance id."""
        kind = self.connection.kind
        if kind == "dingtalk":
            body: dict[str, Any] = {
                "originatorUserId": oa_user_id, "processCode": process_code,
                "formComponentValues": [{"name": name, "value": value} for name, value in form],
                "RequestId": request_id}
            if oa_dept_id:
                body["deptId"] = int(oa_dept_id) if oa_dept_id.isdigit() else oa_dept_id
            if self.connection.agent_id.isdigit():
                body["microappAgentId"] = int(self.connection.agent_id)
            return str(self.call("POST", "/v1.0/workflow/processInstances",
                                  json=body)["instanceId"])
        if kind == "wecom":
            contents = [{"control": "Text", "id": name, "value": {"text": value}}
                        for name, value in form]
            data = self.call("POST", "/cgi-bin/oa/applyevent", json={
                "creator_userid": oa_user_id, "template_id": process_code,
                "use_template_approver": 1, "apply_data": {"contents": contents},
                "summary_list": [{"summary_info": [{"text": f"{name}: {value}"[:20],
                                                    "lang": "zh_CN"}]}
                                 for name, value in form[:3]]})
            return str(data["sp_no"])
        widgets = [{"id": name, "type": "input", "value": value} for name, value in form]
        data = self.call("POST", "/open-apis/approval/v4/instances", json={
            "approval_code": process_code, "user_id": oa_user_id,
            "form": json.dumps(widgets, ensure_ascii=False), "uuid": request_id[:64]})
        return str(data["data"]["instance_code"])
