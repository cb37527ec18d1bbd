"""JSON answers: written by orjson for speed, with the text Flask's standard encoder writes
(keys sorted, compact, UTF-8 unescaped, HTTP dates), and the standard encoder wherever orjson
cannot (integers beyond 64 bits, the indented debug form)."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from flask import jsonify
from werkzeug.http import http_date


def _standard(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=lambda item: http_date(item) if isinstance(item, dt.date)
                      else str(item)) + "\n"


VALUES = [
    {"zeta": 1, "alpha": [3, 2, 1], "名称": "华为技术有限公司", "nested": {"b": None, "a": True}},
    [{"when": dt.datetime(2026, 12, 7, 8, 30, tzinfo=dt.UTC)}, {"day": dt.date(2026, 1, 2)}],
    {"id": uuid.UUID("12345678-1234-5678-1234-567812345678"), "price": 12.5},
    {"huge": 2 ** 70, "negative": -(2 ** 65)},  # beyond orjson: the standard encoder
]


@pytest.mark.parametrize("value", VALUES)
def test_an_answer_has_the_standard_encoders_text(crm_app, value):
    with crm_app.test_request_context("/"):
        answer = jsonify(value)
        assert answer.mimetype == "application/json"
        assert answer.get_data(as_text=True) == _standard(value)


def test_debug_answers_are_indented(crm_app):
    crm_app.debug = True
    try:
        with crm_app.test_request_context("/"):
            text = jsonify({"b": 1, "a": "中"}).get_data(as_text=True)
    finally:
        crm_app.debug = False
    assert text == '{\n  "a": "中",\n  "b": 1\n}\n'
