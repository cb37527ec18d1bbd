"""Amounts in Chinese capital numerals (大写金额), as a contract or invoice prints them."""

from __future__ import annotations

import pytest

from crm_core import toolkit
from crm_core.money_words import MAX_FEN


@pytest.mark.parametrize(("fen", "words"), [
    (1234567, "壹万贰仟叁佰肆拾伍元陆角柒分"),
    (6268, "陆拾贰元陆角捌分"),
    (10000000, "壹拾万元整"),
    (1005, "壹拾元零伍分"),
    (0, "零元整"),
    (101001, "壹仟零壹拾元零壹分"),
    (10000001, "壹拾万元零壹分"),
    (10000100, "壹拾万零壹元整"),
    (5, "伍分"),
    (10000000000, "壹亿元整"),
])
def test_amount_in_words_reads_like_a_bank_form(fen, words):
    assert toolkit.amount_in_words(fen) == words


def test_a_negative_amount_starts_with_fu():
    assert toolkit.amount_in_words(-6268) == "负陆拾贰元陆角捌分"
    assert toolkit.amount_in_words(-1) == "负壹分"


def test_the_largest_amount_is_sixteen_digits_of_yuan():
    assert toolkit.amount_in_words(MAX_FEN).endswith("玖元玖角玖分")
    assert toolkit.amount_in_words(-MAX_FEN).startswith("负玖仟玖佰")
    with pytest.raises(ValueError, match="16 digits"):
        toolkit.amount_in_words(MAX_FEN + 1)


@pytest.mark.parametrize("amount", [62.68, "6268", True, None])
def test_only_integer_fen_are_accepted(amount):
    with pytest.raises(TypeError, match="integer number of fen"):
        toolkit.amount_in_words(amount)
