"""Connections: one OA app each, with its secrets sealed at rest (``toolkit.seal``).

The ids (app key, corp id, agent id) are kept in the clear; the app secret, the callback token
and the AES key (DingTalk, WeCom) or encrypt key and Verification Token (Feishu) are sealed
together as one JSON object in ``OaConnection.secrets``. Nothing here logs or returns them
except :func:`connection_secrets`, for the callback and the token client.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import DomainError, seal, unseal

from ..models import KINDS, OaConnection
from ..protocol import BadKey
from ..protocol.callback_crypto import CallbackCrypto, aes_key_from_encoding

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
SECRET_NAMES = ("app_secret", "token", "aes_key")
#: Where each vendor's API answers unless a connection's base URL says otherwise (tests).
DEFAULT_BASE = {"dingtalk": "https://api.dingtalk.com", "wecom": "https://qyapi.weixin.qq.com",
                "feishu": "https://open.feishu.cn"}


class ConnectionSettingError(DomainError):
    """A refused connection setting; ``field`` names the form field (422 in the API)."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Secrets:
    """A connection's opened secrets: never log or show an instance (``repr`` hides them)."""

    app_secret: str
    token: str
    aes_key: str

    def __repr__(self) -> str:
        return "Secrets(***)"

    def as_dict(self) -> dict[str, str]:
        """The values by name (to seal them again)."""
        return {name: getattr(self, name) for name in SECRET_NAMES}


def _required_ids(kind: str) -> tuple[str, ...]:
    return {"dingtalk": ("app_key",), "wecom": ("corp_id",), "feishu": ("app_key",)}[kind]


def _check_values(kind: str, values: dict[str, Any], secrets: dict[str, str]) -> None:
    if kind not in KINDS:
        raise ConnectionSettingError("kind", _("Choose DingTalk, WeCom or Feishu."))
    for name in _required_ids(kind):
        if not values.get(name):
            raise ConnectionSettingError(name, _("This OA system needs this field."))
    for name in SECRET_NAMES:
        if not secrets.get(name):
            raise ConnectionSettingError(name, _("This OA system needs this field."))
    if kind != "feishu":
        try:
            aes_key_from_encoding(secrets["aes_key"])
        except BadKey:
            raise ConnectionSettingError("aes_key", _("The EncodingAESKey is 43 letters and digits "
                                                "as the OA console shows it.")) from None
    base = values.get("base_url") or ""
    if base and not re.match(r"^https?://[^\s/]+(:\d+)?(/[^\s]*)?$", base):
        raise ConnectionSettingError("base_url", _("Enter an http(s) address, or leave it empty."))


def save_connection(session: Session, values: dict[str, Any],
                    connection: OaConnection | None = None) -> OaConnection:
    """Create or change a connection. Secret values left empty (or missing) keep the stored
    ones; a new connection needs them all. Raises :class:`ConnectionSettingError`."""
    values = {key: (value.strip() if isinstance(value, str) else value)
              for key, value in values.items()}
    name = values.get("name", connection.name if connection else "")
    if not NAME.match(name or ""):
        raise ConnectionSettingError("name", _("Use 1 to 40 lower-case letters, digits, - or _, "
                                         "starting with a letter or digit."))
    taken = select(OaConnection.id).where(OaConnection.name == name)
    if connection is not None:
        taken = taken.where(OaConnection.id != connection.id)
    if session.scalar(taken) is not None:
        raise ConnectionSettingError("name", _("Another connection has this name."))
    stored = connection_secrets(connection).as_dict() if connection is not None \
        and connection.secrets else {}
    secrets = {name_: values.pop(name_, None) or stored.get(name_, "") for name_ in SECRET_NAMES}
    merged = {key: values.get(key, getattr(connection, key, "") if connection else "")
              for key in ("kind", "app_key", "corp_id", "agent_id", "base_url")}
    _check_values(merged["kind"], merged, secrets)
    if connection is None:
        connection = OaConnection()
        session.add(connection)
    connection.name = name
    for key, value in merged.items():
        setattr(connection, key, value or "")
    if "active" in values:
        connection.active = bool(values["active"])
    if "signin" in values:
        connection.signin = bool(values["signin"])
    connection.secrets = seal(json.dumps(secrets, sort_keys=True))
    session.flush()
    return connection


def connection_secrets(connection: OaConnection) -> Secrets:
    """The connection's opened secrets (app_secret, token, aes_key), for the callback and the
    token client only."""
    opened = json.loads(unseal(connection.secrets)) if connection.secrets else {}
    return Secrets(**{name: str(opened.get(name, "")) for name in SECRET_NAMES})


def find_connection(session: Session, name: str, active_only: bool = True
                    ) -> OaConnection | None:
    """The connection named ``name`` (only an active one unless told)."""
    query = select(OaConnection).where(OaConnection.name == name)
    if active_only:
        query = query.where(OaConnection.active.is_(True))
    return session.scalar(query)


def base_url(connection: OaConnection) -> str:
    """Where the connection's API answers: its override (a fake server) or the vendor's."""
    return (connection.base_url or DEFAULT_BASE[connection.kind]).rstrip("/")


def oapi_base(connection: OaConnection) -> str:
    """DingTalk's old API host (work notices, contacts); the override when one is set."""
    return (connection.base_url or "https://oapi.dingtalk.com").rstrip("/")


def receivers(connection: OaConnection) -> tuple[str, ...]:
    """The ids the callback trailer may name: the corp id (WeCom; DingTalk's old callback
    registration) and the app key (DingTalk's event subscription)."""
    if connection.kind == "wecom":
        return (connection.corp_id,)
    return tuple(dict.fromkeys(value for value in (connection.app_key, connection.corp_id)
                               if value))


def callback_cryptos(connection: OaConnection) -> list[CallbackCrypto]:
    """One :class:`CallbackCrypto` per accepted receiver id (DingTalk and WeCom)."""
    secrets = connection_secrets(connection)
    return [CallbackCrypto(secrets.token, secrets.aes_key, receiver)
            for receiver in receivers(connection)]
