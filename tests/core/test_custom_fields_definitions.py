"""Defining custom fields safely: keys never change, relabelling keeps values, a type change
is refused with a count and examples when values would not convert (and converts them when
they do), options are renamed in place, a filterable field gets an index the kernel drops
on archive, and each type reads and refuses values as a user expects."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from crm_core.custom_fields import service
from crm_core.custom_fields.models import CustomField
from crm_core.custom_fields.storage import custom_indexes, index_name, record_kinds
from crm_core.custom_fields.types import display, parse
from crm_core.custom_fields.values import CustomValueError, clean_values
from crm_core.db import get_session
from plugins.customers import services
from plugins.customers.models import Customer


@pytest.fixture
def app(crm_make_app):
    return crm_make_app(plugins=["customers"])


@pytest.fixture
def ctx(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield get_session(), record_kinds(app)["customers.customer"]


def field(kind_, **values):
    return CustomField(key="f", type=kind_, options=values.pop("options", []), **values)


READS = [
    ("integer", "1,200", 1200), ("decimal", "3.25", 3.25), ("money", "¥1,234.5", 123450),
    ("date", "2026/1/5", "2026-01-05"), ("date", "2026年1月5日", "2026-01-05"),
    ("datetime", "2026-01-05 08:30", "2026-01-05T08:30:00Z"), ("boolean", "是", True),
    ("boolean", "no", False), ("url", "example.com", "http://example.com"),
    ("email", "Li@Example.COM", "li@example.com"), ("phone", "+86 138-0013-8000",
                                                    "+86 138-0013-8000"),
    ("text", "  细分  ", "细分"), ("text", "", None),
]
REFUSED = [
    ("integer", "1.5"), ("decimal", "abc"), ("money", "1.234"), ("date", "2026-13-01"),
    ("boolean", "maybe"), ("email", "nobody"), ("url", "not a url"), ("phone", "call me"),
    ("user", "bob"), ("integer", True),
]


def test_each_type_reads_what_users_type_and_refuses_the_rest(app):
    with app.test_request_context():
        for kind_, given, stored in READS:
            assert parse(field(kind_), given) == stored, (kind_, given)
        for kind_, given in REFUSED:
            with pytest.raises(ValueError):
                parse(field(kind_), given)


def test_choices_refuse_unknown_options_and_show_removed_ones(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        item = field("multi_choice", options=[{"value": "A", "colour": "#000000"},
                                              {"value": "B", "removed": True}])
        assert parse(item, "A、A") == ["A"]
        with pytest.raises(ValueError, match="B is not one of the options"):
            parse(item, ["B"])
        assert parse(item, ["A", "B"], current=["B"]) == ["A", "B"]  # kept, not new
        assert display(item, ["A", "B"]) == "A, B (removed)"


def test_a_type_change_is_refused_naming_how_many_and_examples(ctx):
    session, kind = ctx
    item = service.create_field(session, kind, {"key": "size", "type": "text",
                                                "labels": {"en": "Size"}})
    for value in ("12", "大", "很大", "3", "巨大"):
        services.create_customer(session, name=f"客户{value}", custom={"size": value})
    with pytest.raises(service.DefinitionError) as refused:
        service.update_field(session, kind, item, {"type": "integer"})
    message = str(refused.value)
    assert refused.value.field == "type" and message.startswith("3 records")
    assert "大" in message and "很大" in message
    session.rollback()


def test_a_type_change_converts_the_values_and_relabelling_keeps_them(ctx):
    session, kind = ctx
    item = service.create_field(session, kind, {"key": "staff", "type": "text",
                                                "labels": {"en": "Staff"}})
    customer = services.create_customer(session, name="甲", custom={"staff": "120"})
    service.update_field(session, kind, item, {"type": "integer",
                                               "labels": {"zh_CN": "员工数", "en": "Employees"}})
    session.commit()
    assert session.get(Customer, customer.id).custom == {"staff": 120}
    assert item.label("zh_CN") == "员工数" and item.key == "staff"
    with pytest.raises(service.DefinitionError):
        service.update_field(session, kind, item, {"key": "employees"})


def test_an_option_is_renamed_in_every_record(ctx):
    session, kind = ctx
    item = service.create_field(session, kind, {
        "key": "segment", "type": "choice", "labels": {"en": "Segment"},
        "options": ["医疗器械", "汽车零部件"]})
    first = services.create_customer(session, name="甲", custom={"segment": "医疗器械"})
    second = services.create_customer(session, name="乙", custom={"segment": "汽车零部件"})
    service.update_field(session, kind, item, {"options": [
        {"value": "医疗设备", "was": "医疗器械"}, "汽车零部件"]})
    session.commit()
    assert session.get(Customer, first.id).custom == {"segment": "医疗设备"}
    assert session.get(Customer, second.id).custom == {"segment": "汽车零部件"}
    assert item.option_values() == ["医疗设备", "汽车零部件"]


def test_a_filterable_field_has_an_index_until_it_is_archived(ctx):
    session, kind = ctx
    item = service.create_field(session, kind, {"key": "region", "type": "choice",
                                                "labels": {"en": "Region"},
                                                "options": ["华东"], "filterable": True})
    session.commit()
    indexes = custom_indexes(session.connection(), kind.table)
    assert index_name(kind, "region") in indexes
    service.archive_field(session, kind, item)
    session.commit()
    indexes = custom_indexes(session.connection(), kind.table)
    assert index_name(kind, "region") not in indexes
    service.restore_field(session, kind, item)
    session.commit()
    indexes = custom_indexes(session.connection(), kind.table)
    assert index_name(kind, "region") in indexes


def test_required_fields_defaults_and_unknown_keys(ctx):
    session, kind = ctx
    service.create_field(session, kind, {"key": "grade", "type": "choice", "required": True,
                                         "labels": {"en": "Grade"}, "options": ["A", "B"],
                                         "default": "B"})
    assert clean_values(session, kind.key, {}, None, new=True) == {"grade": "B"}
    with pytest.raises(CustomValueError) as refused:
        clean_values(session, kind.key, {"grade": ""}, {"grade": "A"})
    assert refused.value.field == "custom.grade"
    with pytest.raises(CustomValueError) as unknown:
        clean_values(session, kind.key, {"nothing": 1}, None)
    assert unknown.value.field == "custom.nothing"
    assert session.scalar(select(CustomField.key)) == "grade"


def test_models_and_migrations_still_agree_with_custom_indexes(app, ctx):
    """``crm db check`` ignores the indexes the kernel makes for filterable fields."""
    from crm_core.migrate import differences

    session, kind = ctx
    service.create_field(session, kind, {"key": "tier", "type": "integer", "filterable": True,
                                         "labels": {"en": "Tier"}})
    session.commit()
    assert index_name(kind, "tier") in custom_indexes(session.connection(), kind.table)
    assert differences(app) == []
