"""The three ways to call an Odoo model method, one class each, over one ``httpx.Client``.

- :class:`Json2`: ``POST /json/2/<model>/<method>`` with ``Authorization: bearer <API key>``,
  ``X-Odoo-Database`` and named parameters (Odoo 19 and later);
- :class:`XmlRpc`: ``/xmlrpc/2/common`` ``authenticate`` for the uid, then ``/xmlrpc/2/object``
  ``execute_kw(db, uid, key, model, method, args, kw)`` (Odoo 16–18; removed in Odoo 22);
- :class:`JsonRpc`: the same services through ``POST /jsonrpc`` (same removal date).

Every transport takes the same call, ``call(model, method, ids=None, params=None,
context=None)``, with the method's parameters **named** (the XML-RPC ones go in ``kw``), and
raises only :mod:`.errors` classes: the caller never sees an ``httpx`` or ``xmlrpc`` error.
The API key is sent and never logged, and never part of an error's message.
"""

from __future__ import annotations

import itertools
import json
import xmlrpc.client
from collections.abc import Iterable
from typing import Any
from xml.parsers.expat import ExpatError

import httpx

from . import errors

TRANSPORTS = ("json2", "xmlrpc", "jsonrpc")


def post(http: httpx.Client, path: str, **kwargs: Any) -> httpx.Response:
    """POST ``path``; a connection error or timeout is a :class:`errors.TransientError`."""
    try:
        return http.post(path, **kwargs)
    except httpx.TimeoutException:
        raise errors.TransientError("The ERP did not answer in time.") from None
    except httpx.HTTPError as failed:
        raise errors.TransientError(
            f"The ERP cannot be reached ({failed.__class__.__name__}).") from None


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


class Json2:
    """Odoo 19+'s JSON-2 API: one HTTP call per method, errors as real HTTP statuses."""

    name = "json2"

    def __init__(self, http: httpx.Client, database: str, api_key: str) -> None:
        self._http = http
        self._headers = {"Authorization": f"bearer {api_key}"}
        if database:
            self._headers["X-Odoo-Database"] = database

    def call(self, model: str, method: str, ids: Iterable[int] | None = None,
             params: dict[str, Any] | None = None, context: dict[str, Any] | None = None
             ) -> Any:
        """Run ``model.method`` with named ``params`` (on ``ids`` for record methods)."""
        body: dict[str, Any] = dict(params or {})
        if ids is not None:
            body["ids"] = list(ids)
        if context:
            body["context"] = context
        response = post(self._http, f"/json/2/{model}/{method}", json=body,
                        headers=self._headers)
        decoded = _json(response)
        if response.status_code >= 400:
            raise errors.from_status(response.status_code, decoded)
        if decoded is None and response.content.strip() not in (b"null", b""):
            raise errors.ProtocolError(f"The ERP answered HTTP {response.status_code} "
                                       "without JSON.", status=response.status_code)
        return decoded


class XmlRpc:
    """Odoo's XML-RPC (``/xmlrpc/2``): stateless, the key travels with every call."""

    name = "xmlrpc"

    def __init__(self, http: httpx.Client, database: str, login: str, api_key: str) -> None:
        self._http = http
        self._database = database
        self._login = login
        self._key = api_key
        self.uid: int | None = None

    def rpc(self, service: str, method: str, args: list[Any]) -> Any:
        """One call of ``service.method(*args)`` (``common``, ``object``)."""
        body = xmlrpc.client.dumps(tuple(args), method, allow_none=True)
        response = post(self._http, f"/xmlrpc/2/{service}", content=body.encode("utf-8"),
                        headers={"Content-Type": "text/xml"})
        if response.status_code >= 500:
            raise errors.TransientError(f"The ERP answered HTTP {response.status_code}.",
                                        status=response.status_code)
        if response.status_code == 404:
            raise errors.NotFound("The ERP has no XML-RPC endpoint here.", status=404)
        try:
            (result,), _method = xmlrpc.client.loads(response.content, use_builtin_types=True)
        except xmlrpc.client.Fault as fault:
            raise errors.from_fault(fault.faultCode, fault.faultString) from None
        except (ExpatError, ValueError):
            raise errors.ProtocolError(f"The ERP answered HTTP {response.status_code} "
                                       "without XML-RPC.", status=response.status_code) from None
        return result

    def authenticate(self) -> int:
        """The ERP user's id for the login and key (``common.authenticate``)."""
        uid = self.rpc("common", "authenticate", [self._database, self._login, self._key, {}])
        if not isinstance(uid, int) or isinstance(uid, bool) or uid <= 0:
            raise errors.AuthError("The ERP refused the login or the API key.",
                                   name="odoo.exceptions.AccessDenied")
        self.uid = uid
        return uid

    def call(self, model: str, method: str, ids: Iterable[int] | None = None,
             params: dict[str, Any] | None = None, context: dict[str, Any] | None = None
             ) -> Any:
        """``execute_kw`` of ``model.method``: ``ids`` as the one positional argument,
        ``params`` and ``context`` in ``kw``."""
        uid = self.uid if self.uid is not None else self.authenticate()
        kw: dict[str, Any] = dict(params or {})
        if context:
            kw["context"] = context
        args = [list(ids)] if ids is not None else []
        return self.rpc("object", "execute_kw",
                        [self._database, uid, self._key, model, method, args, kw])


class JsonRpc(XmlRpc):
    """The same services as :class:`XmlRpc` through ``POST /jsonrpc`` (errors come as an
    HTTP 200 envelope)."""

    name = "jsonrpc"
    _ids = itertools.count(1)

    def rpc(self, service: str, method: str, args: list[Any]) -> Any:
        """One ``call`` of ``service.method(*args)`` in a JSON-RPC 2.0 envelope."""
        envelope = {"jsonrpc": "2.0", "method": "call", "id": next(self._ids),
                    "params": {"service": service, "method": method, "args": args}}
        response = post(self._http, "/jsonrpc", content=json.dumps(envelope),
                        headers={"Content-Type": "application/json"})
        if response.status_code >= 500:
            raise errors.TransientError(f"The ERP answered HTTP {response.status_code}.",
                                        status=response.status_code)
        decoded = _json(response)
        if not isinstance(decoded, dict) or ("result" not in decoded
                                             and "error" not in decoded):
            raise errors.ProtocolError(f"The ERP answered HTTP {response.status_code} "
                                       "without JSON-RPC.", status=response.status_code)
        if decoded.get("error") is not None:
            raise errors.from_envelope(decoded["error"])
        return decoded["result"]
