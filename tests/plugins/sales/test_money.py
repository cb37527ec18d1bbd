"""Line math in integer fen (plugins/sales/money.py), proved for any lines with hypothesis:
each line's subtotal + tax is its total, the lines add up to the document, every rounding
is within half a fen of the exact value, and the issue's awkward line gives 62.68."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plugins.sales.money import (
    BASIS,
    MILLI,
    MoneyError,
    document_amounts,
    line_amounts,
    percent_text,
    quantity_text,
    to_basis_points,
    to_fen,
    to_milli,
    yuan,
)

quantities = st.integers(1, 10**9)  # up to a million units, in thousandths
prices = st.integers(0, 10**9)  # up to ¥10 million
rates = st.integers(0, BASIS)
lines = st.tuples(quantities, prices, rates, rates, st.booleans())
HALF = Fraction(1, 2)


def test_the_issues_awkward_line():
    line = line_amounts(to_milli("3"), to_fen("19.99"), to_basis_points("7.5"),
                        to_basis_points("13"))
    assert (yuan(line.subtotal), yuan(line.tax), yuan(line.total)) == \
        ("55.47", "7.21", "62.68")


@settings(max_examples=80, deadline=None)
@given(st.lists(lines, min_size=1, max_size=30))
def test_line_totals_add_up_to_the_document_total(drawn):
    worked = [line_amounts(*line) for line in drawn]
    document = document_amounts(worked)
    assert document.total == sum(line.total for line in worked)
    assert document.untaxed == sum(line.subtotal for line in worked)
    assert document.tax == sum(line.tax for line in worked)
    assert document.untaxed + document.tax == document.total
    for line in worked:
        assert line.subtotal + line.tax == line.total


@settings(max_examples=200, deadline=None)
@given(quantities, prices, rates, rates)
def test_prices_without_tax_round_within_half_a_fen(quantity, price, discount, rate):
    line = line_amounts(quantity, price, discount, rate)
    exact = Fraction(quantity, MILLI) * price * Fraction(BASIS - discount, BASIS)
    assert abs(line.subtotal - exact) <= HALF
    assert abs(line.tax - line.subtotal * Fraction(rate, BASIS)) <= HALF
    assert line.subtotal >= 0 and line.tax >= 0


@settings(max_examples=200, deadline=None)
@given(quantities, prices, rates, rates)
def test_prices_with_tax_split_within_half_a_fen(quantity, price, discount, rate):
    line = line_amounts(quantity, price, discount, rate, price_includes_tax=True)
    exact = Fraction(quantity, MILLI) * price * Fraction(BASIS - discount, BASIS)
    assert abs(line.total - exact) <= HALF
    assert abs(line.subtotal - line.total / (1 + Fraction(rate, BASIS))) <= HALF
    assert 0 <= line.tax <= line.total


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 10**12), st.integers(0, 10**15), rates, rates)
def test_huge_lines_round_exactly(quantity, price, discount, rate):
    """Beyond 28 significant digits a Decimal division would round before the half-up."""
    line = line_amounts(quantity, price, discount, rate)
    exact = Fraction(quantity * price * (BASIS - discount), MILLI * BASIS)
    assert abs(line.subtotal - exact) <= HALF


def test_a_line_past_28_digits_rounds_on_the_exact_remainder():
    # found by the property above: 9554…599 / 10^7 has remainder 4,999,599 (below half)
    line = line_amounts(999_999_999_999, 955_403_198_695_353, 1)
    exact = Fraction(999_999_999_999 * 955_403_198_695_353 * (BASIS - 1), MILLI * BASIS)
    assert abs(line.subtotal - exact) <= HALF


def test_half_a_fen_rounds_up():
    # 0.5 units × ¥0.01 = half a fen
    assert line_amounts(500, 1).subtotal == 1
    # 13 % of ¥0.50 = 6.5 fen
    assert line_amounts(1000, 50, 0, 1300).tax == 7


@pytest.mark.parametrize("text", ["-1", "1.999", "abc", "", "NaN", "Infinity", "1e20"])
def test_amounts_refused(text):
    with pytest.raises(MoneyError):
        to_fen(text)


@pytest.mark.parametrize(("text", "value"), [("0", 0), ("19.99", 1999), ("1,234.5", 123450),
                                             ("¥".replace("¥", "") + "7", 700)])
def test_amounts_read(text, value):
    assert to_fen(text) == value


def test_quantities_and_rates_read_and_print_back():
    assert to_milli("2.5") == 2500 and quantity_text(2500) == "2.5"
    assert quantity_text(3000) == "3"
    assert to_basis_points("7.5") == 750 and percent_text(750) == "7.5"
    assert percent_text(1300) == "13"
    for bad in ("0", "-1", "0.0001"):
        with pytest.raises(MoneyError):
            to_milli(bad)
    with pytest.raises(MoneyError):
        to_basis_points("100.01")
    assert yuan(-5) == "-0.05"
