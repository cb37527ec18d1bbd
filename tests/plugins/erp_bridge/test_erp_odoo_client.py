"""The Odoo protocol layer against the fake Odoo: the version probe picks the transport, each
transport reads and writes, every error shape maps to the taxonomy, and incremental pulls page
by write_date with an id tie-break, archived records included."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fake_odoo import FakeOdoo

from plugins.erp_bridge.odoo import (
    AuthError,
    Cursor,
    NotFound,
    OdooClient,
    PermissionError,
    TransientError,
    ValidationError,
    errors,
)

TRANSPORTS = ("json2", "xmlrpc", "jsonrpc")


@pytest.fixture(scope="module")
def odoo() -> Iterator[FakeOdoo]:
    with FakeOdoo(version=19) as fake:
        yield fake


def client(fake: FakeOdoo, transport: str = "auto", key: str | None = None) -> OdooClient:
    return OdooClient(fake.url, fake.database, fake.login, key or fake.api_key,
                      transport=transport, timeout=5)


@pytest.mark.parametrize(("version", "web_version", "expected", "via"), [
    (19, True, "json2", "web/version"),
    (17, True, "xmlrpc", "web/version"),
    (16, False, "xmlrpc", "common.version"),
])
def test_the_version_probe_chooses_json2_from_odoo_19_and_xmlrpc_before(
        version: int, web_version: bool, expected: str, via: str) -> None:
    with FakeOdoo(version=version, web_version=web_version) as fake, client(fake) as odoo:
        partner = odoo.create("res.partner", {"name": "华宇科技", "ref": "crm-1"})
        assert odoo.transport.name == expected
        assert (odoo.version.major, odoo.version.via) == (version, via)
        assert odoo.find_by_ref("res.partner", "ref", "crm-1") == [partner]
        assert fake.calls[-1][0] == expected


def test_a_connection_can_force_its_transport(odoo: FakeOdoo) -> None:
    with client(odoo, "xmlrpc") as forced:
        forced.search_read("res.partner", [], ["name"], limit=1)
        assert forced.version is None and odoo.calls[-1][0] == "xmlrpc"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_an_order_with_lines_is_created_and_confirmed(odoo: FakeOdoo, transport: str) -> None:
    with client(odoo, transport) as erp:
        partner = erp.create("res.partner", {"name": f"远洋贸易 {transport}"})
        order = erp.create("sale.order", {"partner_id": partner, "order_line": [
            [0, 0, {"name": "打印机", "product_uom_qty": 2, "price_unit": 1500.0}]]})
        assert erp.call("sale.order", "action_confirm", ids=[order]) is True
        [row] = erp.call("sale.order", "read", ids=[order], fields=["state", "amount_total"])
        assert (row["state"], row["amount_total"]) == ("sale", 3000.0)
        with pytest.raises(ValidationError, match="not allowed to confirm"):
            erp.call("sale.order", "action_confirm", ids=[order])


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_wrong_api_key_is_an_auth_error(odoo: FakeOdoo, transport: str) -> None:
    with client(odoo, transport, key="wrong-key") as erp, pytest.raises(AuthError) as raised:
        erp.search_read("res.partner", [], ["name"])
    assert not raised.value.retry
    assert "wrong-key" not in str(raised.value)
    if transport == "json2":  # the documented 401 body's message
        assert (raised.value.status, raised.value.message) == (401, "Invalid apikey")


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_refused_values_are_a_validation_error_with_the_erps_message(
        odoo: FakeOdoo, transport: str) -> None:
    with client(odoo, transport) as erp, pytest.raises(ValidationError) as raised:
        erp.create("res.partner", {"email": "no-name@example.com"})
    assert raised.value.message == "The field 'name' is required on res.partner."
    assert "Traceback" not in str(raised.value)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_access_rules_are_a_permission_error_and_unknown_methods_not_found(
        odoo: FakeOdoo, transport: str) -> None:
    odoo.store.forbidden.add("account.move")
    try:
        with client(odoo, transport) as erp:
            with pytest.raises(PermissionError, match="not allowed to access"):
                erp.search_read("account.move", [], ["payment_state"])
            with pytest.raises(NotFound):
                erp.call("res.partner", "no_such_method")
    finally:
        odoo.store.forbidden.clear()


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_server_that_is_down_or_unreachable_is_transient(transport: str) -> None:
    fake = FakeOdoo(version=19).start()
    erp = client(fake, transport)
    try:
        fake.down = 503
        with pytest.raises(TransientError) as raised:
            erp.search_read("res.partner", [], ["name"])
        assert raised.value.retry
        fake.down = None
        fake.stop()
        with pytest.raises(TransientError):
            erp.search_read("res.partner", [], ["name"])
    finally:
        erp.close()
        fake.stop()


def test_pulls_page_by_write_date_with_an_id_tie_break_and_include_archived() -> None:
    with FakeOdoo(version=19) as fake, client(fake) as erp:
        fake.store.clock = "2026-03-01 08:00:00"
        same_second = [fake.store.add("product.product", {"name": f"P{n}", "list_price": n})
                       for n in range(5)]
        fake.store.records["product.product"][same_second[3]]["active"] = False
        seen, cursor = [], None
        while True:
            rows, cursor = erp.pull_changes("product.product", ["name"], cursor, limit=2)
            if not rows:
                break
            seen += [row["id"] for row in rows]
        assert seen == same_second  # each once, the archived one too, none skipped at ties
        fake.store.clock = "2026-03-01 09:00:00"
        erp.call("product.product", "write", ids=[same_second[1]], vals={"list_price": 99})
        rows, after = erp.pull_changes("product.product", ["list_price"], cursor)
        assert [(row["id"], row["list_price"]) for row in rows] == [(same_second[1], 99)]
        assert after == Cursor("2026-03-01 09:00:00", same_second[1])
        assert Cursor.from_list(after.as_list()) == after


def test_every_error_shape_maps_to_the_taxonomy() -> None:
    assert isinstance(errors.from_fault(3, "Access Denied"), AuthError)
    assert isinstance(errors.from_fault(4, "no"), PermissionError)
    assert errors.from_fault("warning -- UserError\n\nNo stock", "").message == "No stock"
    assert isinstance(errors.from_fault("AccessDenied", ""), AuthError)
    serialization = "Traceback...\npsycopg2.errors.SerializationFailure: could not serialize"
    assert errors.from_fault(1, serialization).retry
    assert isinstance(errors.from_envelope({"code": 100, "message": "Odoo Session Expired",
                                            "data": {"name": "odoo.http.SessionExpired"}}),
                      AuthError)
    assert isinstance(errors.from_envelope({"code": 200, "data": {
        "name": "odoo.exceptions.ValidationError", "message": "bad"}}), ValidationError)
    # PR 197801 showed a 422 whose body is a bare JSON string
    bare = errors.from_status(422, "got an unexpected keyword argument 'badparameter'")
    assert isinstance(bare, ValidationError) and "badparameter" in bare.message
    assert errors.from_status(502, None).retry and errors.from_status(429, None).retry
