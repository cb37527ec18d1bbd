"""A fake Odoo for the ERP bridge tests: a werkzeug server in a thread on 127.0.0.1.

It speaks what integrations.md §1 documents: ``GET /web/version`` (or a 404 with
``web_version=False``, as an old server), JSON-2 ``/json/2/<model>/<method>`` (from version
19) with the bearer check and the documented 401 body, XML-RPC ``/xmlrpc/2/common`` and
``/xmlrpc/2/object`` with faults 1–4, and ``/jsonrpc`` with Odoo's error envelope. Records
live in a :class:`fake_odoo_store.Store`. ``stop()`` then ``start()`` keeps the records and the
port: a restart, as the fault tests need. ``down = 503`` makes every call answer 503.
"""

from __future__ import annotations

import json
import threading
import traceback
import xmlrpc.client
from typing import Any

from fake_odoo_store import OdooFault, Store
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

FAULT_CODES = {"odoo.exceptions.AccessDenied": 3, "odoo.exceptions.AccessError": 4,
               "odoo.exceptions.UserError": 2, "odoo.exceptions.ValidationError": 2}
STATUSES = {"odoo.exceptions.AccessDenied": 401, "odoo.exceptions.AccessError": 403,
            "odoo.exceptions.UserError": 422, "odoo.exceptions.ValidationError": 422,
            "odoo.exceptions.MissingError": 404, "werkzeug.exceptions.NotFound": 404}
UNAUTHORIZED = {"name": "werkzeug.exceptions.Unauthorized", "message": "Invalid apikey",
                "arguments": ["Invalid apikey", 401], "context": {},
                "debug": "Traceback (most recent call last):\nwerkzeug.exceptions."
                         "Unauthorized: 401 Unauthorized: Invalid apikey\n"}


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status,
                    content_type="application/json; charset=utf-8")


class FakeOdoo:
    """One fake Odoo database. ``calls`` lists ``(transport, model, method)`` served."""

    def __init__(self, version: int = 19, database: str = "crm", login: str = "bot",
                 api_key: str = "fake-api-key-0123456789", web_version: bool = True) -> None:
        self.version, self.database, self.login = version, database, login
        self.api_key = api_key
        self.web_version = web_version
        self.store = Store()
        self.uid = 2
        self.down: int | None = None
        #: this many successful writes answer 502 after they were done (a lost answer)
        self.lose_answers = 0
        self.calls: list[tuple[str, str, str]] = []
        self.port = 0
        self._server: Any = None
        self._thread: threading.Thread | None = None

    # -- life ---------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeOdoo:
        """Serve (on the port it had before a ``stop``, else a free one)."""
        self._server = make_server("127.0.0.1", self.port, self._app, threaded=True)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; the records stay."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(5)
            self._server = None

    def __enter__(self) -> FakeOdoo:
        return self.start()

    def __exit__(self, *_exc: Any) -> None:
        self.stop()

    # -- dispatch -------------------------------------------------------------------------
    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        return self._route(request)(environ, start_response)

    def _route(self, request: Request) -> Response:
        if self.down:
            return Response("<html>Service Unavailable</html>", status=self.down,
                            content_type="text/html")
        path = request.path
        if path == "/web/version" and request.method == "GET" and self.web_version:
            return _json({"version_info": [self.version, 0, 0, "final", 0, ""],
                          "version": f"{self.version}.0"})
        if request.method != "POST":
            return Response("Not Found", status=404)
        if path.startswith("/json/2/") and self.version >= 19:
            return self._json2(request, *path[len("/json/2/"):].split("/", 1))
        if path in ("/xmlrpc/2/common", "/xmlrpc/2/object"):
            return self._xmlrpc(request, path.rsplit("/", 1)[1])
        if path == "/jsonrpc":
            return self._jsonrpc(request)
        return Response("Not Found", status=404)

    def _lost(self, method: str) -> Response | None:
        """A 502 instead of the answer of a write that was done (the ERP committed it)."""
        if self.lose_answers > 0 and method in ("create", "write", "action_confirm"):
            self.lose_answers -= 1
            return Response("<html>502 Bad Gateway</html>", status=502,
                            content_type="text/html")
        return None

    # -- JSON-2 ---------------------------------------------------------------------------
    def _json2(self, request: Request, model: str, method: str = "") -> Response:
        scheme, _sep, key = (request.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or key != self.api_key:
            return _json(UNAUTHORIZED, 401)
        database = request.headers.get("X-Odoo-Database")
        if database not in (None, self.database):
            return _json({"name": "werkzeug.exceptions.NotFound", "message": "Not Found",
                          "arguments": [], "context": {}, "debug": ""}, 404)
        try:
            body = json.loads(request.get_data() or b"{}")
        except ValueError:
            return _json("The body is not JSON", 400)
        ids = body.pop("ids", None)
        context = body.pop("context", None) or {}
        self.calls.append(("json2", model, method))
        try:
            result = self.store.execute(model, method, ids, body, context)
            return self._lost(method) or _json(result)
        except OdooFault as fault:
            return _json({"name": fault.name, "message": fault.message,
                          "arguments": [fault.message], "context": {},
                          "debug": traceback.format_exc()},
                         STATUSES.get(fault.name, 500))

    # -- XML-RPC and JSON-RPC (the same services) --------------------------------------------
    def _service(self, transport: str, service: str, method: str, args: list[Any]) -> Any:
        if service == "common":
            if method == "version":
                return {"server_version": f"{self.version}.0",
                        "server_version_info": [self.version, 0, 0, "final", 0, ""],
                        "server_serie": f"{self.version}.0", "protocol_version": 1}
            if method in ("authenticate", "login"):
                database, login, key = args[:3]
                ok = (database, login, key) == (self.database, self.login, self.api_key)
                return self.uid if ok else False
            raise OdooFault("builtins.NameError", f"Method not available {method}")
        if service == "object" and method in ("execute_kw", "execute"):
            database, uid, key, model, model_method = args[:5]
            if (database, uid, key) != (self.database, self.uid, self.api_key):
                raise OdooFault("odoo.exceptions.AccessDenied", "Access Denied")
            positional = args[5] if len(args) > 5 else []
            kw = dict(args[6]) if len(args) > 6 and args[6] else {}
            context = kw.pop("context", None) or {}
            ids = positional[0] if positional and isinstance(positional[0], list) \
                and model_method not in ("create", "search_read", "search") else None
            if model_method in ("search_read", "search") and positional:
                kw.setdefault("domain", positional[0])
            self.calls.append((transport, model, model_method))
            return self.store.execute(model, model_method, ids, kw, context)
        raise OdooFault("builtins.NameError", f"Unknown service {service}")

    def _xmlrpc(self, request: Request, service: str) -> Response:
        try:
            args, method = xmlrpc.client.loads(request.get_data(), use_builtin_types=True)
            result = self._service("xmlrpc", service, method, list(args))
            lost = self._lost(self.calls[-1][2] if method == "execute_kw" else method)
            if lost:
                return lost
            body = xmlrpc.client.dumps((result,), methodresponse=True, allow_none=True)
        except OdooFault as fault:
            code = FAULT_CODES.get(fault.name, 1)
            text = fault.message if code in (2, 3, 4) else \
                f"Traceback (most recent call last):\n  ...\n{fault.name}: {fault.message}"
            body = xmlrpc.client.dumps(xmlrpc.client.Fault(code, text), methodresponse=True)
        return Response(body, content_type="text/xml; charset=utf-8")

    def _jsonrpc(self, request: Request) -> Response:
        envelope = json.loads(request.get_data() or b"{}")
        params = envelope.get("params") or {}
        try:
            result = self._service("jsonrpc", params.get("service", ""),
                                   params.get("method", ""), list(params.get("args") or []))
            return _json({"jsonrpc": "2.0", "id": envelope.get("id"), "result": result})
        except OdooFault as fault:
            code = 100 if fault.name == "odoo.exceptions.AccessDenied" else 200
            return _json({"jsonrpc": "2.0", "id": envelope.get("id"), "error": {
                "code": code, "message": "Odoo Server Error",
                "data": {"name": fault.name, "debug": "Traceback ...",
                         "message": fault.message, "arguments": [fault.message],
                         "context": {}}}})
