"""What a user types as a phone, an email or a unified social credit code is accepted in its
usual spellings, stored once in one normal form, and refused with a message saying why."""

from __future__ import annotations

import pytest

from plugins.customers.identity import normalise_bank_account, normalise_id_card
from plugins.customers.validation import (
    FieldError,
    normalise_email,
    normalise_phone,
    normalise_uscc,
    uscc_check_char,
)


@pytest.mark.parametrize(("typed", "stored"), [
    ("13812345678", "+8613812345678"),
    ("138 1234 5678", "+8613812345678"),
    ("+86 138-1234-5678", "+8613812345678"),
    ("0086 13812345678", "+8613812345678"),
    ("１３８１２３４５６７８", "+8613812345678"),              # full-width digits
    ("19912345678", "+8619912345678"),
    ("010-12345678", "+861012345678"),
    ("(010) 1234 5678", "+861012345678"),
    ("0755-1234567", "+867551234567"),
    ("0571 87654321", "+8657187654321"),
    ("+86 10 12345678", "+861012345678"),
    ("010-12345678 转 8021", "+861012345678;ext=8021"),
    ("010-12345678-8021", "+861012345678;ext=8021"),
    ("0755-1234567 ext 12", "+867551234567;ext=12"),
    ("+1 650-253-0000", "+16502530000"),
    ("+44 20 7946 0958", "+442079460958"),
    ("0049 30 901820", "+4930901820"),
    ("400-800-8888", "+864008008888"),                       # nationwide service numbers
    ("800 810 1234", "+868008101234"),
    ("4008008888 转 2", "+864008008888;ext=2"),
    ("86-13812345678", "+8613812345678"),                    # the country code without +
])
def test_phones_in_every_usual_spelling_are_stored_as_e164(typed, stored):
    assert normalise_phone(typed) == stored


@pytest.mark.parametrize(("typed", "says"), [
    ("", "Enter a phone number"),
    ("1381234567", "not a Chinese mobile number"),       # 10 digits
    ("12812345678", "not a Chinese mobile number"),      # 12x is no mobile prefix
    ("010-1234", "not a Chinese landline number"),
    ("tel: abc", "may contain only digits"),
    ("+1 123", "not a valid international number"),
    ("13812345678 转 12", "A mobile number has no extension"),
    ("555-0199", "not a phone number we understand"),
])
def test_wrong_phones_are_refused_with_a_reason(typed, says):
    with pytest.raises(FieldError, match=says) as refused:
        normalise_phone(typed)
    assert refused.value.field == "phones"


@pytest.mark.parametrize(("normalise", "typed"), [
    (normalise_phone, "1.38123E+10"), (normalise_phone, "1.3812345678e10"),
    (normalise_id_card, "1.10101E+17"), (normalise_bank_account, "6.22848E+18"),
    (normalise_uscc, "9.11101E+17"),
])
def test_a_number_excel_shortened_to_scientific_notation_is_refused_saying_so(normalise,
                                                                             typed):
    # A CSV saved by Excel from a General column: the digits are lost, no guess can help.
    with pytest.raises(FieldError, match="Excel shortened to scientific notation") as refused:
        normalise(typed)
    assert typed in str(refused.value) and "format the column as Text" in str(refused.value)


def test_emails_are_trimmed_and_lower_cased_and_nonsense_is_refused():
    assert normalise_email("  Li.Lei@Example.COM ") == "li.lei@example.com"
    assert normalise_email("sales+cn@mail.example.com.cn") == "sales+cn@mail.example.com.cn"
    for typed in ["li.lei", "li@lei", "li@@example.com", "li..lei@example.com", "李@例子"]:
        with pytest.raises(FieldError, match="not an email address"):
            normalise_email(typed)


def real_looking_uscc(first17: str) -> str:
    return first17 + uscc_check_char(first17)


@pytest.mark.parametrize("code", [
    "91350100M000100Y43",                        # the example printed with GB 32100-2015
    real_looking_uscc("91110108MA01C3XK5"),      # a Beijing Haidian company
    real_looking_uscc("91310115MA1H7N2Q8"),      # a Shanghai Pudong company
    real_looking_uscc("92440300L12345678"),      # an individual business in Shenzhen
    real_looking_uscc("12100000400000624"),      # a public institution
])
def test_valid_unified_social_credit_codes_are_accepted(code):
    assert normalise_uscc(code) == code
    assert normalise_uscc(f" {code[:6].lower()} {code[6:].lower()} ") == code


def test_the_check_character_is_the_gb_32100_weighted_sum():
    # 31 - (sum of value * weight) mod 31, in the code's own 31-character alphabet.
    assert uscc_check_char("91350100M000100Y4") == "3"
    assert real_looking_uscc("91110108MA01C3XK5") != real_looking_uscc("91110108MA01C3XK6")


@pytest.mark.parametrize(("code", "says"), [
    ("91350100M000100Y44", "does not match"),          # last character mistyped
    ("91350100M000010Y43", "does not match"),          # two characters swapped
    ("91350100M000100Y4", "has 18 characters"),
    ("91350100M000100Y433", "has 18 characters"),
    ("91350100MO00100Y43", "except I, O, S, V and Z"),
    ("913501I0M000100Y43", "except I, O, S, V and Z"),
    ("91ABCDEFM000100Y43", "region code"),
])
def test_wrong_unified_social_credit_codes_are_refused_with_a_reason(code, says):
    with pytest.raises(FieldError, match=says) as refused:
        normalise_uscc(code)
    assert refused.value.field == "uscc"


def test_a_chinese_user_reads_the_reason_in_chinese(crm_make_app):
    app = crm_make_app(plugins=["customers"], migrate=False)
    with app.test_request_context(headers={"Accept-Language": "zh-CN,zh;q=0.9"}):
        with pytest.raises(FieldError, match="不是中国大陆手机号") as refused:
            normalise_phone("1381234567")
        assert "1381234567" in str(refused.value)
        with pytest.raises(FieldError, match="校验码"):
            normalise_uscc("91350100M000100Y44")


@pytest.mark.parametrize("raw", ["010-12345678 转 123", "+1 650 253 0000 ext 12",
                                 "13812345678"])
def test_a_stored_number_is_accepted_again_unchanged(raw):
    stored = normalise_phone(raw)
    assert normalise_phone(stored) == stored
