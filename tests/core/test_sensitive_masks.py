"""The masks of sensitive values, putting stored values back for masks sent by a form, and
what a declaration registers: permissions with labels and their default grants."""

from __future__ import annotations

import random

import phonenumbers
import pytest
from phonenumbers import PhoneNumberType
from sqlalchemy import select

from crm_core.errors import RegistryError
from crm_core.sensitive import (
    SensitiveFields,
    is_masked,
    mask,
    mask_address,
    mask_bank_account,
    mask_email,
    mask_id_card,
    mask_phone,
    masks,
    restore_masked,
)


@pytest.mark.parametrize(("value", "masked"), [
    ("13912345678", "139****5678"), ("+8613912345678", "139****5678"),
    ("139 1234 5678", "139****5678"), ("+861065529988", "010****9988"),
    ("010-6552 9988;ext=89", "010****9988"), ("+14155552671", "+1 415****2671"),
    ("139****5678", "139****5678"), ("12", "****"),
    ("+864008008888", "400****8888"), ("+868008101234;ext=2", "800****1234")])
def test_a_phone_keeps_its_first_three_and_last_four_digits(value, masked):
    assert mask_phone(value) == masked


def test_a_stored_chinese_number_is_masked_as_phonenumbers_reads_it():
    """Stored E.164 Chinese numbers skip phonenumbers' parse; the spaced form still takes
    it, so both must agree, carrier codes of long numbers (+86 12593 ...) included."""
    rng = random.Random(11)
    for length in range(5, 15):
        for _ in range(600):
            digits = str(rng.randint(1, 9)) + "".join(
                str(rng.randint(0, 9)) for _ in range(length - 1))
            parsed = mask_phone(f"+86 {digits}")
            assert mask_phone(f"+86{digits}") == parsed, digits
            assert mask_phone(f"+86{digits};ext=7") == parsed, digits


def test_a_stored_number_of_any_country_is_masked_as_phonenumbers_reads_it():
    """Stored E.164 numbers of every country code skip the parse unless it could strip a
    national prefix or carrier code; the spaced form always takes it, and both agree: on
    each region's example numbers and on random national numbers of every length."""
    rng = random.Random(7)
    numbers = []
    for region in phonenumbers.SUPPORTED_REGIONS:
        for kind in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None:
                numbers.append((example.country_code, str(example.national_number)))
    for country_code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
        for length in range(4, 16 - len(str(country_code))):
            for _ in range(3):
                numbers.append((country_code, "".join(
                    str(rng.randint(0, 9)) for _ in range(length))))
    fast = 0
    for country_code, national in numbers:
        parsed = mask_phone(f"+{country_code} {national}")
        assert mask_phone(f"+{country_code}{national}") == parsed, (country_code, national)
        fast += masks._stored_parts(f"{country_code}{national}") is not None
    assert len(numbers) > 5000 and fast > len(numbers) / 2  # most take the fast path


def test_emails_id_cards_bank_accounts_and_addresses():
    assert mask_email("zhang@example.com") == "z***@example.com"
    assert mask_email("not-an-address") == "n***"
    assert mask_id_card("110101199003071234") == "1101**********1234"
    assert mask_id_card("1234") == "****"
    assert mask_bank_account("6222 0212 3456 7890") == "**** 7890"
    assert mask_address("北京市海淀区中关村大街1号") == "北京市海淀区****"
    assert mask_address("浙江省杭州市西湖区文三路 90 号") == "浙江省杭州市西湖区****"
    assert mask_address("广东省深圳市南山区科技园") == "广东省深圳市南山区****"
    assert mask_address("1 Main St, Springfield, IL") == "****, Springfield, IL"
    assert mask_address("中关村大街1号") == "****"


def test_mask_handles_lists_and_empty_values_and_is_recognisable():
    assert mask("phone", ["13912345678", "", None]) == ["139****5678", "", None]
    assert mask("email", None) is None and mask("email", "") == ""
    assert is_masked("139****5678") and is_masked("z***@example.com")
    assert not is_masked("13912345678") and not is_masked(None)


def test_masks_sent_back_get_their_stored_values_and_others_stay():
    stored = ["+8613912345678", "+861065529988"]
    sent = "139****5678\n010****9988\n13600003333"
    assert restore_masked(sent, stored, "phone") == \
        "+8613912345678\n+861065529988\n13600003333"
    assert restore_masked(["139****5678"], stored, "phone") == ["+8613912345678"]
    # each stored value answers one mask; a mask of nothing stored stays (and is refused)
    assert restore_masked("139****5678, 139****5678", stored, "phone") == \
        "+8613912345678, 139****5678"
    assert restore_masked("z***@example.com", "zhang@example.com", "email") == \
        "zhang@example.com"
    assert restore_masked("q***@example.com", "zhang@example.com", "email") == \
        "q***@example.com"


def test_a_declaration_refuses_an_unknown_kind_of_value():
    with pytest.raises(RegistryError, match="passport"):
        SensitiveFields("customers.customer", {"passport": "passport"})


def test_a_declared_kind_gets_labelled_permissions_and_default_grants(crm_make_app):
    from crm_core.db import get_session
    from crm_core.rbac.models import Permission, Role, RolePermission

    app = crm_make_app(plugins=["customers", "service"])
    permissions = app.extensions["crm"].permissions
    plugin, view = permissions["customers.customer.view_sensitive"]
    assert plugin == "customers"
    assert str(view.label) == "See sensitive fields of customers in clear"
    assert "service.request.reveal_sensitive" in permissions
    assert "customers.contact.view_sensitive" not in permissions  # follows its customer
    with app.app_context():
        session = get_session()
        granted = set(session.execute(
            select(Role.name, Permission.name)
            .join(RolePermission, RolePermission.role_id == Role.id)
            .join(Permission, Permission.id == RolePermission.permission_id)
            .where(Permission.name.like("%_sensitive"))).all())
    assert ("manager", "customers.customer.view_sensitive") in granted
    assert ("admin", "customers.customer.view_sensitive") in granted
    assert ("sales", "customers.customer.reveal_sensitive") in granted
    assert ("service", "service.request.reveal_sensitive") in granted
    assert ("sales", "customers.customer.view_sensitive") not in granted
    assert ("service", "customers.customer.view_sensitive") not in granted
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        from crm_core.i18n import translate

        assert translate(view.label)  # translated through the catalogs (the lead's merge)


def test_a_kind_declared_twice_or_outside_its_plugin_stops_the_app(monkeypatch):
    import crm_core.plugins as plugins
    from crm_core.sensitive.registry import declarations

    class Manager:
        class hook:  # noqa: N801 - stands in for pluggy's hook relay
            crm_sensitive_fields = True

    def run(results):
        monkeypatch.setattr(plugins, "call_each", lambda manager, name: results)
        return declarations(Manager())

    spec = SensitiveFields("customers.customer", {"phones": "phone"})
    assert run([("customers", [spec])]) == [("customers", spec)]
    with pytest.raises(RegistryError, match="declared twice"):
        run([("customers", [spec, spec])])
    with pytest.raises(RegistryError, match="must start with 'sales.'"):
        run([("sales", [spec])])
    with pytest.raises(RegistryError, match="expected toolkit.SensitiveFields"):
        run([("customers", [{"phones": "phone"}])])
