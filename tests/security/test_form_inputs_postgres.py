"""The request edge over every HTML form, URL id and API write (see ``test_form_inputs.py``)
on PostgreSQL: where out-of-range numbers, NUL bytes and odd text reach a stricter database.
Every form gets each edge value a database meets differently (``DATABASE_VALUES``) in every
field; the other edge values and the generated combinations of a few fields run on SQLite
only, since the code that parses them does not change with the database.
"""

from __future__ import annotations

import pytest
from security_world import LONG_RUN
from test_form_inputs import (
    DATABASE_VALUES,
    deep_json_failures,
    fuzz_every_form,
    out_of_range_id_failures,
)

pytestmark = pytest.mark.postgres


@pytest.mark.timeout(LONG_RUN)
def test_edge_values_in_every_form_field_answer_4xx_or_a_page_on_postgresql(make_world,
                                                                           capsys):
    report = fuzz_every_form(make_world("postgresql"), "postgresql", capsys,
                             every_form_shallow=True, values=DATABASE_VALUES)
    assert report == [], "\n".join(report)


def test_out_of_range_ids_in_any_url_answer_404_on_postgresql(make_world):
    failures = out_of_range_id_failures(make_world("postgresql"))
    assert failures == [], "\n".join(failures)


def test_deep_json_to_every_api_write_answers_a_4xx_problem_on_postgresql(make_world):
    failures = deep_json_failures(make_world("postgresql"))
    assert failures == [], "\n".join(failures)
