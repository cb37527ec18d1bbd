"""``OdooClient``: one Odoo database, whatever its version, for the rest of the plugin.

It probes the version (``GET /web/version``, else XML-RPC ``common.version()``), picks the
transport (JSON-2 from Odoo 19, XML-RPC before; a connection may force one), and offers the
few calls the bridge makes: ``call``, ``search_read``, ``pull_changes`` (incremental by
``write_date`` with an id tie-break, archived records included), ``find_by_ref`` and
``create``. Nothing here touches Flask or the database.
"""

from __future__ import annotations

import functools
import ssl
from dataclasses import dataclass
from typing import Any

import httpx

from . import errors
from .transports import TRANSPORTS, Json2, JsonRpc, XmlRpc

#: The first Odoo major version with the JSON-2 API.
JSON2_SINCE = 19
#: Archived records are read too (``active`` False); the CRM decides what they mean.
ALL_RECORDS = {"active_test": False}


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context for every client: loading the CA bundle costs ~50 ms, and the outbox
    makes a client per delivery."""
    return httpx.create_ssl_context()


@dataclass(frozen=True)
class VersionInfo:
    """What the version probe found: ``major`` (16, 19…), the server's text and how."""

    major: int
    version: str
    via: str

    @property
    def transport(self) -> str:
        """The transport this version should use."""
        return "json2" if self.major >= JSON2_SINCE else "xmlrpc"


@dataclass(frozen=True)
class Cursor:
    """Where an incremental pull stopped: the last record's ``write_date`` and id."""

    write_date: str
    id: int

    def as_list(self) -> list[Any]:
        """The cursor as JSON (stored between pulls)."""
        return [self.write_date, self.id]

    @classmethod
    def from_list(cls, value: Any) -> Cursor | None:
        """A stored cursor back, or None for "from the start"."""
        if not value:
            return None
        return cls(str(value[0]), int(value[1]))


def _major(version_info: Any, text: Any) -> int:
    if isinstance(version_info, list | tuple) and version_info:
        head = str(version_info[0])
    else:
        head = str(text or "")
    digits = "".join(char for char in head.split(".")[0] if char.isdigit())
    if not digits:
        raise errors.ProtocolError("The ERP did not say its version.")
    return int(digits)


def probe_version(http: httpx.Client) -> VersionInfo:
    """The server's version: ``/web/version`` (JSON ``version_info``), else the older
    ``common.version()`` over XML-RPC (which has ``server_version_info``)."""
    try:
        response = http.get("/web/version")
    except httpx.HTTPError:
        raise errors.TransientError("The ERP cannot be reached.") from None
    if response.status_code >= 500:
        raise errors.TransientError(f"The ERP answered HTTP {response.status_code}.",
                                    status=response.status_code)
    if response.status_code == 200:
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and ("version_info" in body or "version" in body):
            return VersionInfo(_major(body.get("version_info"), body.get("version")),
                               str(body.get("version") or ""), "web/version")
    found = XmlRpc(http, "", "", "").rpc("common", "version", [])
    if not isinstance(found, dict):
        raise errors.ProtocolError("The ERP did not say its version.")
    return VersionInfo(_major(found.get("server_version_info"), found.get("server_version")),
                       str(found.get("server_version") or ""), "common.version")


def change_domain(cursor: Cursor | None) -> list[Any]:
    """Records written after ``cursor``: a later ``write_date``, or the same one and a
    larger id (several records often share a ``write_date``, to the second)."""
    if cursor is None:
        return []
    return ["|", ["write_date", ">", cursor.write_date],
            "&", ["write_date", "=", cursor.write_date], ["id", ">", cursor.id]]


class OdooClient:
    """Calls into one Odoo database. ``transport`` is ``auto`` (by the version probe) or
    one of ``json2``, ``xmlrpc``, ``jsonrpc``. Use it as a context manager, or ``close()``."""

    def __init__(self, url: str, database: str, login: str, api_key: str,
                 transport: str = "auto", timeout: float = 30.0) -> None:
        if transport != "auto" and transport not in TRANSPORTS:
            raise ValueError(f"unknown transport {transport!r}")
        self.url = url.rstrip("/")
        self._database, self._login, self._key = database, login, api_key
        self._http = httpx.Client(base_url=self.url, timeout=timeout, verify=tls_context(),
                                  headers={"User-Agent": "crm-erp-bridge"})
        self._wanted = transport
        self._transport: Json2 | XmlRpc | None = None
        self.version: VersionInfo | None = None

    def __enter__(self) -> OdooClient:
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP connections."""
        self._http.close()

    @property
    def transport(self) -> Json2 | XmlRpc:
        """The transport in use (probing the version first when it is ``auto``)."""
        if self._transport is None:
            name = self._wanted
            if name == "auto":
                self.version = probe_version(self._http)
                name = self.version.transport
            self._transport = Json2(self._http, self._database, self._key) \
                if name == "json2" else \
                (JsonRpc if name == "jsonrpc" else XmlRpc)(self._http, self._database,
                                                           self._login, self._key)
        return self._transport

    def probe(self) -> VersionInfo:
        """The server's version (asked again each time)."""
        self.version = probe_version(self._http)
        return self.version

    def check(self) -> VersionInfo:
        """Probe the version and prove the credentials (XML-RPC ``authenticate``; JSON-2
        ``res.users/context_get``, the documented way to learn one's own uid)."""
        version = self.probe()
        transport = self.transport
        if isinstance(transport, XmlRpc):
            transport.authenticate()
        else:
            transport.call("res.users", "context_get")
        return version

    def call(self, model: str, method: str, ids: list[int] | None = None,
             context: dict[str, Any] | None = None, **params: Any) -> Any:
        """``model.method(**params)`` (on ``ids``), through the chosen transport."""
        return self.transport.call(model, method, ids=ids, params=params, context=context)

    def search_read(self, model: str, domain: list[Any], fields: list[str], *,
                    order: str | None = None, limit: int | None = None,
                    context: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Records matching ``domain`` with ``fields`` (and ``id``)."""
        params: dict[str, Any] = {"domain": domain, "fields": fields}
        if order:
            params["order"] = order
        if limit:
            params["limit"] = limit
        return list(self.call(model, "search_read", context=context, **params) or [])

    def pull_changes(self, model: str, fields: list[str], cursor: Cursor | None,
                     limit: int = 500, domain: list[Any] | None = None
                     ) -> tuple[list[dict[str, Any]], Cursor | None]:
        """The next page of records changed after ``cursor`` (archived ones included, and
        only those matching ``domain`` when given), oldest first, and the cursor to continue
        from (the same one when nothing changed)."""
        wanted = list(dict.fromkeys([*fields, "write_date"]))
        # top-level terms of an Odoo domain are and-ed: the filter, then the change window
        rows = self.search_read(model, [*(domain or []), *change_domain(cursor)], wanted,
                                order="write_date asc, id asc", limit=limit,
                                context=ALL_RECORDS)
        if not rows:
            return [], cursor
        last = rows[-1]
        return rows, Cursor(str(last["write_date"]), int(last["id"]))

    def find_by_ref(self, model: str, field: str, value: str) -> list[int]:
        """The ids of records (archived ones too) whose ``field`` is ``value``: the search a
        create makes first, so that a retried create finds the record the lost try made."""
        return [int(row["id"]) for row in self.search_read(
            model, [[field, "=", value]], ["id"], order="id asc", context=ALL_RECORDS)]

    def create(self, model: str, values: dict[str, Any]) -> int:
        """Create one record; its id."""
        created = self.call(model, "create", vals_list=[values])
        return int(created[0] if isinstance(created, list) else created)


__all__ = ["Cursor", "OdooClient", "VersionInfo", "change_domain", "probe_version"]
