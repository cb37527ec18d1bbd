"""Money on the sales pages: the fast integer formatting writes exactly what the kernel's
``format_money`` writes, in every language the app speaks."""

from __future__ import annotations

import random

import pytest


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_money_text_is_the_kernels_money_text(sales_app, language):
    from flask_babel import force_locale

    from crm_core.toolkit import format_money
    from plugins.sales.display import money_text, yuan_of

    rng = random.Random(12)
    amounts = [0, 1, -1, 5, 99, 100, -100, 1999, 100_000, -1_234_567, 10**15, -10**15]
    amounts += [rng.randint(-10**13, 10**13) for _ in range(500)]
    with sales_app.test_request_context(), force_locale(language):
        assert [money_text(fen) for fen in amounts] == \
            [format_money(yuan_of(fen)) for fen in amounts]
        assert money_text(1_234_567) == "¥12,345.67"
        assert money_text(-5) == "-¥0.05"
        assert money_text(None) == "—"
