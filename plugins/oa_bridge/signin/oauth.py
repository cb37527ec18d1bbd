"""The OAuth code flow of each vendor: the authorization URL and state from authlib's RFC 6749
parameters (not its httpx client: deprecated from authlib 1.9), with the vendors' own token
calls on httpx, which are not RFC 6749 form posts:

- DingTalk: ``login.dingtalk.com/oauth2/auth`` (scope ``openid``); the code through
  ``POST /v1.0/oauth2/userAccessToken`` (JSON), ``GET /v1.0/contact/users/me`` (unionId,
  mobile), then ``topapi/user/getbyunionid`` (userid, with the app token).
- WeCom: ``login.work.weixin.qq.com/wwlogin/sso/login`` (``login_type=CorpApp``); the code
  through ``GET /cgi-bin/auth/getuserinfo`` (app token) → userid.
- Feishu: ``accounts.feishu.cn/open-apis/authen/v1/authorize``; the code through
  ``POST /open-apis/authen/v2/oauth/token`` (JSON), then ``GET /open-apis/authen/v1/user_info``
  (user_id, mobile).

A connection with ``--base-url`` (a fake server) sends the browser there too.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from sqlalchemy.orm import Session

from ..connections.services import base_url, connection_secrets
from ..models import OaConnection
from ..protocol.api_errors import VendorError, check_answer
from ..tokens.client import TIMEOUT, OaClient

AUTHORIZE = {"dingtalk": ("https://login.dingtalk.com", "/oauth2/auth"),
             "wecom": ("https://login.work.weixin.qq.com", "/wwlogin/sso/login"),
             "feishu": ("https://accounts.feishu.cn", "/open-apis/authen/v1/authorize")}


@dataclass(frozen=True)
class Identity:
    """Who the OA says signed in: their OA user id and, when the OA tells, mobile number."""

    oa_user_id: str
    mobile: str = ""


def new_state() -> str:
    """A fresh, unguessable ``state`` for one sign-in."""
    return generate_token(32)


def authorization_url(connection: OaConnection, redirect_uri: str, state: str) -> str:
    """Where the browser goes to sign in with the OA."""
    host, path = AUTHORIZE[connection.kind]
    url = (connection.base_url.rstrip("/") if connection.base_url else host) + path
    if connection.kind == "wecom":
        return url + "?" + urlencode({"login_type": "CorpApp", "appid": connection.corp_id,
                                      "agentid": connection.agent_id,
                                      "redirect_uri": redirect_uri, "state": state})
    extra = {"prompt": "consent"} if connection.kind == "dingtalk" else {}
    return prepare_grant_uri(url, connection.app_key, "code", redirect_uri=redirect_uri,
                             scope="openid" if connection.kind == "dingtalk" else None,
                             state=state, **extra)


def _answer(response: object) -> dict:
    try:
        body = response.json()  # type: ignore[attr-defined]
    except ValueError:
        body = None
    return check_answer(response.status_code, body, response.headers)  # type: ignore[attr-defined]


def identify(session: Session, connection: OaConnection, code: str,
             redirect_uri: str) -> Identity:
    """Turn an authorization ``code`` into the OA identity; ``VendorError`` if refused."""
    if not code or len(code) > 500:
        raise VendorError("no authorization code")
    secret = connection_secrets(connection).app_secret
    base = base_url(connection)
    with httpx.Client(timeout=TIMEOUT) as client:
        if connection.kind == "wecom":
            data = OaClient(session, connection, http=client).call(
                "GET", "/cgi-bin/auth/getuserinfo", params={"code": code})
            if not data.get("userid"):  # openid only: not a member of the corp
                raise VendorError("not a member of this organisation")
            return Identity(str(data["userid"]))
        if connection.kind == "dingtalk":
            token = _answer(client.post(base + "/v1.0/oauth2/userAccessToken", json={
                "clientId": connection.app_key, "clientSecret": secret, "code": code,
                "grantType": "authorization_code"}))
            me = _answer(client.get(base + "/v1.0/contact/users/me", headers={
                "x-acs-dingtalk-access-token": str(token.get("accessToken") or "")}))
            found = OaClient(session, connection, http=client).call(
                "POST", "/topapi/user/getbyunionid", oapi=True,
                json={"unionid": str(me.get("unionId") or "")})
            userid = str((found.get("result") or {}).get("userid") or "")
            if not userid:
                raise VendorError("not a member of this organisation")
            return Identity(userid, str(me.get("mobile") or ""))
        token = _answer(client.post(base + "/open-apis/authen/v2/oauth/token", json={
            "grant_type": "authorization_code", "client_id": connection.app_key,
            "client_secret": secret, "code": code, "redirect_uri": redirect_uri}))
        # the user's own token, as a bearer token
        bearer = {"Authorization": f"Bearer {token.get('access_token') or ''}"}
        info = _answer(client.get(base + "/open-apis/authen/v1/user_info",
                                  headers=bearer)).get("data") or {}
    if not info.get("user_id"):
        raise VendorError("not a member of this organisation")
    return Identity(str(info["user_id"]), str(info.get("mobile") or ""))
