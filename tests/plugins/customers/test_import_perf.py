"""The import's fast paths give exactly what the slow ones gave: names' keys and pinyin, phone
numbers, the search documents of customers inserted in bulk; timestamps stored as the ORM
stores them; and the planner's statistics refreshed after an import, on SQLite and
PostgreSQL."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from test_import_data import GOOD_ROWS, write_csv

from crm_core.db import SQLITE_CACHE_KIB, get_session
from crm_core.errors import DomainError
from crm_core.testing import create_test_user, invoke_cli
from plugins.customers import names, services
from plugins.customers.importing.clean import _phone, _uscc
from plugins.customers.records import bulk
from plugins.customers.search import services as search
from plugins.customers.validation import normalise_phone, normalise_uscc, uscc_check_char

DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]

NAMES = ["北京华宇科技有限公司", "中国银行股份有限公司", "重庆银行", "重庆银行有限公司", "张伟",
         "北京 科技（集团）有限公司", "ＡＣＭＥ Co., Ltd.", "ACME Group Co., Ltd.", "集团",
         "⼀二三 有限公司", "\uf900 豈", "长沙银行长沙分行", "〇一二a北京x", "上海浦东发展银行",
         "成都天府软件园有限责任公司", "Müller GmbH", "行长行长行长有限公司", ""]


@pytest.mark.parametrize("name", NAMES)
def test_spell_name_gives_the_key_its_pinyin_and_the_names_syllables(name):
    key = names.name_key(name)
    assert names.spell_name(name) == (key, names.pinyin(key), names.pinyin_syllables(name))


def test_pinyin_reads_phrases_the_same_whether_cut_in_runs_or_not():
    assert names.pinyin_syllables("重庆银行") == ["chong", "qing", "yin", "hang"]
    assert names.pinyin("长沙银行长沙分行") == "changshayinhangchangshafenhang"
    assert names.pinyin_initials("北京 华宇·科技") == "bjhykj"
    assert names.pinyin_syllables("ACME") == []


def _stored(function, raw):
    try:
        return function(raw, "phones")
    except DomainError as exc:
        return ("refused", str(exc))


@pytest.mark.parametrize("raw", [
    "13812345678", "19912345678", "12812345678", "1381234567", "138123456789", "01012345678",
    "02162345678", "075512345678", "0755123456", "04313005720", "00861381234567",
    "１３８１２３４５６７８", "١٣٨١٢٣٤٥٦٧٨", "+8613812345678", "+1 650 253 0000", "010-12345678",
    "0086 138 1234 5678", "010-12345678-123", "0", "1"])
def test_the_import_stores_each_phone_as_normalise_phone_does(customers_app, raw):
    with customers_app.test_request_context():
        assert _stored(_phone, raw) == _stored(normalise_phone, raw)


def _documents(session):
    if session.connection().dialect.name == "sqlite":
        return sorted(session.execute(text(
            "SELECT f.rowid, f.name, f.code, f.extra, f.pinyin, b.cjk, b.ini "
            "FROM customers_search_fts f JOIN customers_search_bigram b ON b.rowid = f.rowid"
        )).all())
    return sorted(session.execute(text(
        "SELECT customer_id, doc, grams FROM customers_search_doc")).all())


@pytest.mark.parametrize("database", DATABASES)
def test_bulk_inserted_customers_are_indexed_as_a_rebuild_would(crm_make_app, database):
    app = crm_make_app(plugins=["customers"], database=database)
    create_test_user(app, "root", superuser=True)
    with app.test_request_context():
        session = get_session()
        rows = [{"name": name or "无名", "phones": phones, "emails": emails}
                for name, phones, emails in [
                    ("北京华宇科技有限公司", ["+8613812345678", "+861062345678"], ["a@hy.cn"]),
                    ("ACME Co., Ltd.", ["+16502530000"], []),
                    ("重庆银行有限公司", [], ["x@cq.com", "y@cq.com"])]]
        # One row brings its syllables, as the import hands them over.
        rows[0]["name_syllables"] = names.pinyin_syllables(rows[0]["name"])
        ids = bulk.insert_customers(session, rows)
        session.commit()
        built = _documents(session)
        search.index_customers(session, ids)
        session.commit()
        assert built == _documents(session) and len(built) == 3
        found = search_ids(session, "bjhy") + search_ids(session, "1062345678") \
            + search_ids(session, "cq.com")
        assert found == [ids[0], ids[0], ids[2]]


def search_ids(session, query):
    from crm_core.auth.models import User

    root = session.scalars(text("SELECT id FROM core_user WHERE username = 'root'")).first()
    user = session.get(User, root)
    return [customer.id for customer in search.search_customers(session, query, user=user)]


def test_bulk_rows_store_timestamps_in_the_same_text_as_the_services(session):
    services.create_customer(session, name="手工客户")
    bulk.insert_customers(session, [{"name": "导入客户"}])
    session.commit()
    stored = session.execute(text(
        "SELECT created_at, updated_at FROM customers_customer ORDER BY id")).all()
    assert all("+" not in value and len(value) == len(stored[0][0])
               for row in stored for value in row)


@pytest.mark.parametrize("database", DATABASES)
def test_an_import_refreshes_the_planners_statistics(crm_make_app, tmp_path, database):
    app = crm_make_app(plugins=["customers"], database=database)
    result = invoke_cli(app, "customers", "import", str(write_csv(tmp_path / "a.csv",
                                                                  GOOD_ROWS)), "--json")
    assert json.loads(result.stdout.strip().splitlines()[-1])["created"] == 3
    with app.app_context():
        session = get_session()
        if database == "sqlite":
            analysed = set(session.scalars(text("SELECT DISTINCT tbl FROM sqlite_stat1")))
            assert {"customers_customer", "customers_customer_phone"} <= analysed
            # the loading settings undone: the connection has the kernel's page cache again
            assert session.scalar(text("PRAGMA cache_size")) == -SQLITE_CACHE_KIB
            assert session.scalar(text("PRAGMA wal_autocheckpoint")) == 1000
        else:
            analysed = set(session.scalars(text(
                "SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL")))
            assert {"customers_customer", "customers_search_doc"} <= analysed


@pytest.mark.parametrize("raw", [
    "91110108MA01C3XK5" + uscc_check_char("91110108MA01C3XK5"),
    "91110108MA01C3XK5" + ("0" if uscc_check_char("91110108MA01C3XK5") != "0" else "1"),
    "91110108ma01c3xk5" + uscc_check_char("91110108MA01C3XK5"), "9111 0108 MA01 C3XK 5X",
    "91110108MA01C3XKS0", "91AB0108MA01C3XK50", "911101", ""])
def test_the_import_stores_each_uscc_as_normalise_uscc_does(customers_app, raw):
    with customers_app.test_request_context():
        assert _stored(lambda value, _field: _uscc(value), raw) \
            == _stored(lambda value, _field: normalise_uscc(value), raw)


def _segments(session):
    """Rows of the trigram index's data table: two records plus one leaf per small segment."""
    return session.scalar(text("SELECT count(*) FROM customers_search_fts_data"))


def test_a_bulk_insert_leaves_its_batches_search_documents_in_one_segment(session):
    # A statement that opens a statement journal (an UPDATE of many rows, a DELETE) makes
    # FTS5 write the documents it holds in memory out as a segment of their own, which are
    # merged again later (docs/PERFORMANCE.md, issue 11, twelfth session).
    bulk.insert_customers(session, [{"name": "单批客户一"}, {"name": "单批客户二"}])
    session.commit()
    one_segment = _segments(session)
    for batch in range(3):
        bulk.insert_customers(session, [{"name": f"分批客户{batch}{half}"} for half in "甲乙"])
    session.commit()
    assert _segments(session) == one_segment + 1
    assert len(search_ids_of(session, "分批客户")) == 6


def test_a_leftover_search_document_is_replaced_by_the_next_bulk_insert(session):
    first = bulk.insert_customers(session, [{"name": "留下的客户"}])[0]
    session.commit()
    session.execute(text("DELETE FROM customers_customer WHERE id = :id"), {"id": first})
    session.commit()  # its search document is left behind, with the next id a bulk insert takes
    assert bulk.insert_customers(session, [{"name": "新来的客户"}]) == [first]
    session.commit()
    assert search_ids_of(session, "新来的") == [first] and search_ids_of(session, "留下的") == []


def search_ids_of(session, query):
    return [row[0] for row in session.execute(text(
        "SELECT rowid FROM customers_search_fts WHERE customers_search_fts MATCH :q"),
        {"q": f'"{query}"'})]
