"""Encrypted text: what comes back, and the clear error for a value that cannot be opened
(another column's value, a damaged one, a key the ring lacks); an encrypted column reads
empty values, older plain text and ciphertexts."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert, select

from crm_core.crypto.cipher import KeyUnavailable, decrypt_text, encrypt_text
from crm_core.crypto.types import EncryptedString
from crm_core.db import get_session

PURPOSE = "tests.secret"


def test_a_ciphertext_opens_only_in_its_own_column_and_with_its_key(crm_make_app):
    with crm_make_app(plugins=[], migrate=False).app_context():
        sealed = encrypt_text("110101199003071234 张三", PURPOSE)
        assert sealed.startswith("enc1:") and "110101" not in sealed
        assert decrypt_text(sealed, PURPOSE) == "110101199003071234 张三"
        assert decrypt_text("plain from before", PURPOSE) == "plain from before"
        assert decrypt_text("", PURPOSE) == "" and decrypt_text(None, PURPOSE) is None
        with pytest.raises(KeyUnavailable, match="cannot be decrypted"):
            decrypt_text(sealed, "tests.other_column")
        body = sealed.rsplit(":", 1)[1]
        damaged = sealed[:-len(body)] + body[:10] + ("A" if body[10] != "A" else "B") + body[11:]
        with pytest.raises(KeyUnavailable, match="cannot be decrypted"):
            decrypt_text(damaged, PURPOSE)
        with pytest.raises(KeyUnavailable, match="nokey"):
            decrypt_text("enc1:nokey:" + body, PURPOSE)


def test_an_encrypted_column_reads_empty_plain_and_sealed_values(crm_make_app):
    app = crm_make_app(plugins=[], migrate=False)
    table = Table("scratch_secret", MetaData(), Column("id", Integer, primary_key=True),
                  Column("secret", EncryptedString(PURPOSE)))
    with app.app_context():
        session = get_session()
        connection = session.connection()
        table.create(connection)
        connection.execute(insert(table), [{"id": 1, "secret": None}, {"id": 2, "secret": ""},
                                           {"id": 3, "secret": "6222021234567890"}])
        connection.exec_driver_sql("INSERT INTO scratch_secret VALUES (4, 'written before')")
        stored = connection.exec_driver_sql(
            "SELECT secret FROM scratch_secret WHERE id = 3").scalar()
        assert stored.startswith("enc1:") and "6222" not in stored
        read = dict(connection.execute(select(table.c.id, table.c.secret)).all())
        assert read == {1: None, 2: "", 3: "6222021234567890", 4: "written before"}
        session.rollback()


def test_each_apps_engine_opens_its_values_with_its_own_key_in_any_context(crm_make_app):
    """Rows read through an app's engine open with that app's ring: inside another app's
    context (two apps in one process, as in a test run or a worker serving two) and with
    no app context at all (a thread reading with the engine)."""
    from crm_core.crypto.keyring import new_key

    table = Table("scratch_secret", MetaData(), Column("id", Integer, primary_key=True),
                  Column("secret", EncryptedString(PURPOSE)))
    first = crm_make_app(plugins=[], migrate=False, CRM_ENCRYPTION_KEY=new_key("first"))
    other = crm_make_app(plugins=[], migrate=False, CRM_ENCRYPTION_KEY=new_key("other"))
    engine = first.extensions["crm_db"].engine
    with first.app_context(), engine.begin() as connection:
        table.create(connection)
        connection.execute(insert(table), [{"id": 1, "secret": "6222021234567890"}])
    for context in (other.app_context(), None):
        if context is not None:
            context.push()
        try:
            with engine.connect() as connection:
                assert connection.execute(select(table.c.secret)).scalar() == \
                    "6222021234567890"
        finally:
            if context is not None:
                context.pop()


def test_an_opener_opens_raw_values_with_the_ring_of_the_app_it_was_made_in(crm_make_app):
    """What a file's rows use (the customers export): the ring is found once, when the
    opener is made; plain text from before encryption and empty values pass through."""
    from crm_core.crypto.keyring import new_key

    column_type = EncryptedString(PURPOSE)
    app = crm_make_app(plugins=[], migrate=False, CRM_ENCRYPTION_KEY=new_key("files"))
    with app.app_context():
        sealed = encrypt_text("6222021234567890", PURPOSE)
        open_value = column_type.opener()
        open_other = EncryptedString("tests.other_column").opener()
    # the app context is gone: the openers kept the ring
    assert [open_value(value) for value in (sealed, "written before", "", None)] == \
        ["6222021234567890", "written before", "", None]
    with pytest.raises(KeyUnavailable, match="cannot be decrypted"):
        open_other(sealed)  # another column's value does not open
