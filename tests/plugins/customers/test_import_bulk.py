"""bulk.insert_customers: fast inserts with codes, keys, children and ids in order."""

from __future__ import annotations

from sqlalchemy import select

from plugins.customers import services
from plugins.customers.models import Customer, CustomerTag
from plugins.customers.records import bulk


def test_insert_customers_returns_ids_in_order_with_codes_keys_and_children(session):
    tag = services.create_tag(session, "VIP")
    session.commit()
    ids = bulk.insert_customers(session, [
        {"name": "北京华宇科技有限公司", "phones": ["+8613812345678"],
         "emails": ["a@example.com", "b@example.com"], "tag_ids": [tag.id]},
        {"name": "ACME Co., Ltd.", "code": "X1", "industry": "IT"},
    ], import_id=None)
    session.commit()
    first, second = (session.get(Customer, customer_id) for customer_id in ids)
    assert ids == sorted(ids) and first.name == "北京华宇科技有限公司"
    assert first.code == f"C{ids[0]:06d}" and first.kind == "company"
    assert second.code == "X1" and second.industry == "IT" and second.name_key == "acme"
    assert first.name_key == "北京华宇科技" and first.pinyin_key == "beijinghuayukeji"
    assert first.phones == ["+8613812345678"]
    assert first.emails == ["a@example.com", "b@example.com"]
    assert session.get(CustomerTag, (ids[0], tag.id)) is not None
    assert first.created_at.year >= 2026 and first.status == "active"
    assert session.scalar(select(Customer.id).where(Customer.code == "X1")) == ids[1]


def test_generated_code_collision_gets_a_suffix(session):
    services.create_customer(session, name="占位", code="C000002")
    session.commit()
    (new_id,) = bulk.insert_customers(session, [{"name": "新客户"}])
    session.commit()
    assert new_id == 2
    assert session.get(Customer, new_id).code == "C000002-1"
