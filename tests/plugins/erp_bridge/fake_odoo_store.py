"""The fake Odoo's records and methods (no HTTP here; ``fake_odoo.py`` serves them).

Models: ``res.partner``, ``product.product`` (both with ``active``), ``sale.order`` with
``sale.order.line`` (``order_line`` written with ``(0, 0, values)`` commands;
``action_confirm``), ``account.move`` (``payment_state``). Every write stamps ``write_date``
from ``clock`` (a settable text, so tests can make ties). Failures raise :class:`OdooFault`
with Odoo's exception name, which each transport renders in its own shape.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

MODELS = ("res.partner", "product.product", "sale.order", "sale.order.line", "account.move",
          "res.users")
ARCHIVABLE = ("res.partner", "product.product")
#: Fields searched by value often (external references): kept in an index so that a bench
#: of 100,000 records is not measuring the fake's scans.
INDEXED = ("ref", "client_order_ref")
REQUIRED = {"res.partner": ("name",), "product.product": ("name",),
            "sale.order": ("partner_id",), "account.move": ("partner_id",)}


class OdooFault(Exception):
    """What Odoo would raise: ``name`` is the exception's dotted name."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.message = message


def _matches(record: dict[str, Any], term: list[Any]) -> bool:
    field, op, value = term
    have = record.get(field)
    if op == "=":
        return have == value or (value is False and have in (None, False))
    if op == "!=":
        return have != value
    if op == "in":
        return have in value
    if op == "not in":
        return have not in value
    if op == "ilike":
        return str(value).lower() in str(have or "").lower()
    if have is None or have is False:
        return False
    return {">": have > value, ">=": have >= value, "<": have < value,
            "<=": have <= value}[op]


def evaluate(domain: list[Any], record: dict[str, Any]) -> bool:
    """Whether ``record`` matches an Odoo domain (prefix ``|``, ``&``, ``!``; implicit and)."""
    def parse(position: int) -> tuple[bool, int]:
        item = domain[position]
        if item in ("|", "&"):
            left, after = parse(position + 1)
            right, end = parse(after)
            return (left or right) if item == "|" else (left and right), end
        if item == "!":
            value, end = parse(position + 1)
            return not value, end
        return _matches(record, list(item)), position + 1

    position, result = 0, True
    while position < len(domain):
        value, position = parse(position)
        result = result and value
    return result


class Store:
    """The fake database: records by model and id, and a count of creates by ``ref``."""

    def __init__(self) -> None:
        self.records: dict[str, dict[int, dict[str, Any]]] = {model: {} for model in MODELS}
        self.next_id = 1
        self.clock = "2026-01-01 00:00:00"
        self.forbidden: set[str] = set()
        self.lock = threading.Lock()
        self.index: dict[tuple[str, str], dict[Any, set[int]]] = {}

    def _reindex(self, model: str, row: dict[str, Any], before: dict[str, Any]) -> None:
        for name in INDEXED:
            if before.get(name) == row.get(name) and before:
                continue
            values = self.index.setdefault((model, name), {})
            if before.get(name) is not None:
                values.get(before[name], set()).discard(row["id"])
            if row.get(name) is not None:
                values.setdefault(row[name], set()).add(row["id"])

    def refs(self, model: str, field: str = "ref") -> Counter[str]:
        """How many records of ``model`` carry each ``field`` value (archived too): a value
        counted twice is a duplicate."""
        return Counter(str(row.get(field)) for row in self.records[model].values()
                       if row.get(field))

    def _stamp(self, row: dict[str, Any]) -> None:
        row["write_date"] = self.clock

    def add(self, model: str, values: dict[str, Any]) -> int:
        """Insert a record as the ERP's own users would (tests' set-up); its id."""
        with self.lock:
            return self._insert(model, values)

    def _insert(self, model: str, values: dict[str, Any]) -> int:
        missing = [name for name in REQUIRED.get(model, ()) if not values.get(name)]
        if missing:
            raise OdooFault("odoo.exceptions.ValidationError",
                            f"The field '{missing[0]}' is required on {model}.")
        vat = str(values.get("vat") or "")
        if model == "res.partner" and vat and not (vat.isalnum() and 15 <= len(vat) <= 20):
            raise OdooFault("odoo.exceptions.ValidationError",
                            f"The VAT number [{vat}] does not seem to be valid.")
        record_id, self.next_id = self.next_id, self.next_id + 1
        row: dict[str, Any] = {"id": record_id, "create_date": self.clock}
        if model in ARCHIVABLE:
            row["active"] = True
        if model == "sale.order":
            row.update(state="draft", amount_total=0.0, order_line=[], name=f"S{record_id:05d}")
        if model == "account.move":
            row.update(state="posted", payment_state="not_paid", move_type="out_invoice")
        lines = values.pop("order_line", []) if model == "sale.order" else []
        row.update(values)
        self._stamp(row)
        self.records[model][record_id] = row
        self._reindex(model, row, {})
        for command in lines:
            line = dict(command[2], order_id=record_id)
            line_id = self._insert("sale.order.line", line)
            row["order_line"].append(line_id)
            row["amount_total"] += float(line.get("price_unit", 0)) * float(
                line.get("product_uom_qty", 1))
        return record_id

    def _candidates(self, model: str, domain: list[Any],
                    context: dict[str, Any]) -> list[dict[str, Any]]:
        """The rows a one-term search on an indexed field can match (else every row)."""
        if len(domain) == 1 and list(domain[0])[0] in INDEXED and domain[0][1] in ("=", "in"):
            field, op, value = domain[0]
            index = self.index.get((model, field), {})
            wanted = value if op == "in" else [value]
            ids = sorted({record_id for item in wanted for record_id in index.get(item, ())})
            rows = [self.records[model][record_id] for record_id in ids
                    if record_id in self.records[model]]
            if model in ARCHIVABLE and context.get("active_test", True):
                rows = [row for row in rows if row.get("active", True)]
            return rows
        return self._visible(model, context)

    def _visible(self, model: str, context: dict[str, Any]) -> list[dict[str, Any]]:
        rows = list(self.records[model].values())
        if model in ARCHIVABLE and context.get("active_test", True):
            rows = [row for row in rows if row.get("active", True)]
        return rows

    def _browse(self, model: str, ids: list[int]) -> list[dict[str, Any]]:
        missing = [record_id for record_id in ids if record_id not in self.records[model]]
        if missing:
            raise OdooFault("odoo.exceptions.MissingError",
                            f"Record does not exist or has been deleted. ({model}: {missing})")
        return [self.records[model][record_id] for record_id in ids]

    def execute(self, model: str, method: str, ids: list[int] | None,
                params: dict[str, Any], context: dict[str, Any]) -> Any:
        """Run ``model.method`` as Odoo would; raises :class:`OdooFault`."""
        if model not in MODELS:
            raise OdooFault("werkzeug.exceptions.NotFound", f"Object {model} doesn't exist")
        if model in self.forbidden:
            raise OdooFault("odoo.exceptions.AccessError",
                            f"You are not allowed to access '{model}' records.")
        with self.lock:
            return self._method(model, method, list(ids or []), params, context)

    def _method(self, model: str, method: str, ids: list[int], params: dict[str, Any],
                context: dict[str, Any]) -> Any:
        if model == "res.users" and method == "context_get":
            return {"lang": "en_US", "tz": "Asia/Shanghai", "uid": 2}
        if method == "search_read":
            return self._search_read(model, params, context)
        if method == "search":
            return [row["id"] for row in self._search_read(model, params, context)]
        if method == "search_count":
            return len(self._search_read(model, params, context))
        if method == "read":
            fields = params.get("fields") or []
            return [{key: row.get(key, False) for key in ["id", *fields]}
                    for row in self._browse(model, ids)]
        if method == "create":
            values = params.get("vals_list", params.get("values"))
            many = isinstance(values, list)
            created = [self._insert(model, dict(item)) for item in
                       (values if many else [values])]
            return created if many else created[0]
        if method == "write":
            for row in self._browse(model, ids):
                before = {name: row.get(name) for name in INDEXED}
                row.update(params.get("vals") or {})
                self._reindex(model, row, before)
                self._stamp(row)
            return True
        if method == "action_confirm" and model == "sale.order":
            for row in self._browse(model, ids):
                if row["state"] not in ("draft", "sent"):
                    raise OdooFault("odoo.exceptions.UserError",
                                    f"It is not allowed to confirm an order in the "
                                    f"following states: {row['state']}")
                row["state"] = "sale"
                self._stamp(row)
            return True
        raise OdooFault("werkzeug.exceptions.NotFound",
                        f"The method '{method}' does not exist on the model '{model}'")

    def _search_read(self, model: str, params: dict[str, Any],
                     context: dict[str, Any]) -> list[dict[str, Any]]:
        domain = params.get("domain") or []
        rows = [row for row in self._candidates(model, domain, context)
                if evaluate(domain, row)]
        for part in reversed([piece.split() for piece in
                              (params.get("order") or "id asc").split(",")]):
            rows.sort(key=lambda row, key=part[0]: (row.get(key) is None, row.get(key)),
                      reverse=len(part) > 1 and part[1].lower() == "desc")
        offset = int(params.get("offset") or 0)
        rows = rows[offset:offset + params["limit"]] if params.get("limit") else rows[offset:]
        fields = params.get("fields") or []
        return [{key: row.get(key, False) for key in ["id", *fields]} if fields else dict(row)
                for row in rows]
