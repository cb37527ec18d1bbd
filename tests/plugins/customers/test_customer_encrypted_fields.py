"""A person's ID-card number and the bank account for invoices: kept encrypted at rest (the
database file and a pg_dump do not hold them), found by exact value through blind indexes,
shown and edited through the form, the API, the import and the export; a key rotation
re-encrypts every row, and a missing key answers a clear 503, never a 500."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from customers_testing import add_user
from sqlalchemy import Text, select, type_coerce
from sqlalchemy.engine import make_url

from crm_core.api.tokens import create_token
from crm_core.auth.models import User
from crm_core.crypto.keyring import new_key
from crm_core.db import get_session
from crm_core.testing import invoke_cli, login
from plugins.customers.identity import normalise_id_card
from plugins.customers.models import Customer
from plugins.customers.validation import FieldError

ID_CARD = "11010519491231002X"
ACCOUNT = "6222021234567890123"
BANK = "中国工商银行北京海淀支行"


def _token(session, user_id):
    _row, plain = create_token(session, session.get(User, user_id), "test")
    session.commit()
    return {"Authorization": f"Bearer {plain}"}


def _root(app):
    with app.test_request_context():
        session = get_session()
        root = add_user(app, session, "root", [], superuser=True)
        return root, _token(session, root)


def _create(app, headers, name="张三", **extra):
    body = {"name": name, "kind": "person", "id_card_number": "110105 19491231 002x",
            "bank_name": BANK, "bank_account": "6222 0212 3456 7890 123", **extra}
    response = app.test_client().post("/api/v1/customers", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _raw(app, customer_id):
    table = Customer.__table__
    with app.app_context():
        return get_session().execute(select(
            type_coerce(table.c.id_card_number, Text), type_coerce(table.c.bank_account, Text),
            type_coerce(table.c.bank_name, Text)).where(table.c.id == customer_id)).one()


def _database_bytes(app) -> bytes:
    """The SQLite database file's bytes, with its write-ahead log."""
    app.extensions["crm_db"].engine.dispose()
    path = make_url(app.config["CRM_DATABASE_URL"]).database
    return b"".join(open(found, "rb").read() for found in (path, path + "-wal")
                    if os.path.exists(found))


def test_the_id_card_checksum_is_validated():
    assert normalise_id_card("11010519491231002x") == ID_CARD
    for wrong in ("110105194912310021", "1101051949123100", "11010519491331002X"):
        with pytest.raises(FieldError):
            normalise_id_card(wrong)


def test_the_database_file_does_not_hold_the_values_but_the_api_shows_them(customers_app):
    _root_id, headers = _root(customers_app)
    created = _create(customers_app, headers)
    assert (created["id_card_number"], created["bank_account"]) == (ID_CARD, ACCOUNT)
    assert created["bank_name"] == BANK
    raw = _raw(customers_app, created["id"])
    assert all(value.startswith("enc1:") for value in raw)
    data = _database_bytes(customers_app)
    for secret in (ID_CARD, ACCOUNT, BANK):
        assert secret.encode("utf-8") not in data
    listed = customers_app.test_client().get("/api/v1/customers", headers=headers).get_json()
    assert listed["items"][0]["id_card_number"] == ID_CARD
    page = customers_app.test_client()
    login(page, customers_app.extensions["crm_db"].new_session().get(User, _root_id))
    assert ID_CARD in page.get(f"/customers/{created['id']}").get_data(as_text=True)


def test_an_exact_search_finds_the_customer_through_the_blind_index(customers_app):
    _root_id, headers = _root(customers_app)
    created = _create(customers_app, headers)
    _create(customers_app, headers, name="李四", id_card_number="320102198511053673",
            bank_account="6222000011112222")
    client = customers_app.test_client()
    for text in ("11010519491231002x", "6222-0212-3456-7890-123"):
        found = client.get("/api/v1/customers", query_string={"q": text},
                           headers=headers).get_json()["items"]
        assert [item["id"] for item in found] == [created["id"]]
    assert client.get("/api/v1/customers", query_string={"q": "6222021234567890124"},
                      headers=headers).get_json()["items"] == []


def test_a_bad_id_card_number_is_a_field_error(customers_app):
    _root_id, headers = _root(customers_app)
    response = customers_app.test_client().post("/api/v1/customers", headers=headers, json={
        "name": "王五", "kind": "person", "id_card_number": "110105194912310021"})
    assert response.status_code == 422
    assert "id_card_number" in str(response.get_json())
    for field, value in (("bank_name", "银行\\ud800"), ("bank_name", "a\\u0000b"),
                         ("bank_account", "6222 abc"), ("id_card_number", "x" * 500)):
        response = customers_app.test_client().post(  # JSON escapes: a lone surrogate, NUL
            "/api/v1/customers", headers=headers, content_type="application/json",
            data=f'{{"name": "王五", "{field}": "{value}"}}'.encode())
        assert response.status_code in (400, 422), (field, value, response.status_code)


def test_the_form_saves_them_and_the_export_and_import_carry_them(customers_app, tmp_path):
    root_id, headers = _root(customers_app)
    client = customers_app.test_client()
    login(client, customers_app.extensions["crm_db"].new_session().get(User, root_id))
    page = client.get("/customers/new").get_data(as_text=True)
    assert 'name="id_card_number"' in page and 'name="bank_account"' in page
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post("/customers/new", data={
        "csrf_token": token, "name": "赵六", "kind": "person", "country": "CN",
        "status": "active", "id_card_number": "320102198511053673", "bank_name": BANK,
        "bank_account": "6222000011112222"})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:2000]
    with customers_app.app_context():
        saved = get_session().scalar(select(Customer).where(Customer.name == "赵六"))
        assert saved.bank_account == "6222000011112222"
    export = tmp_path / "out.csv"
    result = invoke_cli(customers_app, "customers", "export", "--out", str(export))
    assert result.exit_code == 0, result.output
    text = export.read_text(encoding="utf-8-sig")
    assert "320102198511053673" in text and "6222000011112222" in text
    source = tmp_path / "in.csv"
    source.write_text("客户名称,身份证号,开户行,银行账号\n孙七,11010519491231002X,招商银行,"
                      "6225880012345678\n", encoding="utf-8")
    result = invoke_cli(customers_app, "customers", "import", str(source))
    assert result.exit_code == 0, result.output
    found = client.get("/api/v1/customers", query_string={"q": "6225880012345678"},
                       headers=headers).get_json()["items"]
    assert [item["name"] for item in found] == ["孙七"]
    assert found[0]["id_card_number"] == ID_CARD
    imported = _raw(customers_app, found[0]["id"])
    assert all(value.startswith("enc1:") for value in imported)
    data = _database_bytes(customers_app)  # nor the operation log, nor the import's records
    for secret in (b"6225880012345678", b"320102198511053673", ID_CARD.encode()):
        assert secret not in data


def test_rotation_re_encrypts_every_row_and_the_old_key_can_go(crm_make_app):
    old, new = new_key("old"), new_key("new")
    app = crm_make_app(plugins=["customers"], CRM_ENCRYPTION_KEY=old)
    _root_id, headers = _root(app)
    ids = [_create(app, headers, name=f"客户{n}", bank_account=f"62220000111122{n:02d}")["id"]
           for n in range(7)]
    app.config["CRM_ENCRYPTION_KEY"] = f"{new},{old}"
    result = invoke_cli(app, "keys", "rotate", "--now", "--batch", "3")
    assert result.exit_code == 0, result.output
    assert "Re-encrypted 21 values" in result.output
    assert all(value.startswith("enc1:new:") for customer_id in ids
               for value in _raw(app, customer_id))
    app.config["CRM_ENCRYPTION_KEY"] = new  # the old key removed
    status = invoke_cli(app, "keys", "status")
    assert "Nothing left to rotate" in status.output, status.output
    client = app.test_client()
    found = client.get("/api/v1/customers", query_string={"q": "6222000011112203"},
                       headers=headers).get_json()["items"]
    assert [item["id"] for item in found] == [ids[3]]
    assert found[0]["id_card_number"] == ID_CARD


def test_a_missing_or_wrong_key_is_a_clear_503_not_a_500(crm_make_app):
    app = crm_make_app(plugins=["customers"], CRM_ENCRYPTION_KEY=new_key("first"))
    root_id, headers = _root(app)
    created = _create(app, headers)
    client = app.test_client()
    app.config["CRM_ENCRYPTION_KEY"] = new_key("other")  # the key that encrypted is gone
    response = client.get(f"/api/v1/customers/{created['id']}", headers=headers)
    assert response.status_code == 503
    assert "first" in response.get_json()["detail"]
    browser = login(app.test_client(), app.extensions["crm_db"].new_session().get(User, root_id))
    page = browser.get(f"/customers/{created['id']}")
    assert page.status_code == 503 and "CRM_ENCRYPTION_KEY" in page.get_data(as_text=True)
    app.config["CRM_ENCRYPTION_KEY"] = new_key("first")  # same id, another key
    response = client.get(f"/api/v1/customers/{created['id']}", headers=headers)
    assert response.status_code == 503
    assert "not the one it was encrypted with" in response.get_json()["detail"]


@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed")
def test_a_pg_dump_does_not_hold_the_values(crm_make_app, postgres_url):
    app = crm_make_app(plugins=["customers"], database="postgresql")
    _root_id, headers = _root(app)
    created = _create(app, headers)
    url = make_url(app.config["CRM_DATABASE_URL"])
    dump = subprocess.run(
        ["pg_dump", "--no-owner", "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432),
         "-U", url.username or "postgres", url.database],
        capture_output=True, check=True, env={"PGPASSWORD": url.password or "",
                                              "PATH": "/usr/bin:/bin"}).stdout
    assert b"enc1:" in dump
    for secret in (ID_CARD, ACCOUNT, BANK):
        assert secret.encode("utf-8") not in dump
    found = app.test_client().get("/api/v1/customers", query_string={"q": ID_CARD},
                                  headers=headers).get_json()["items"]
    assert [item["id"] for item in found] == [created["id"]]
