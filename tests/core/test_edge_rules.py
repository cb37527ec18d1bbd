"""The edge's rules on their own: text, JSON depth, integer bounds, error paths."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError, fields, validate

from crm_core.api.problems import flatten_errors
from crm_core.edge.fields import DEFAULT_MAX_STRING, bound_schema
from crm_core.edge.jsonlimits import json_depth_exceeds
from crm_core.edge.text import bad_json_paths, is_clean
from crm_core.toolkit import INT32_MAX, INT64_MAX, Id

BOUNDED = settings(max_examples=200, deadline=None)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=30)


@BOUNDED
@given(st.text())
def test_text_is_clean_exactly_when_it_has_no_nul_and_no_surrogate(text):
    expected = "\x00" not in text and not any(0xD800 <= ord(c) <= 0xDFFF for c in text)
    assert is_clean(text) is expected


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)


@BOUNDED
@given(json_values)
def test_bad_paths_are_found_exactly_when_some_string_is_unstorable(value):
    bad = [text for text in _strings(value) if not is_clean(text)]
    assert len(list(bad_json_paths(value))) == len(bad)


def test_bad_paths_name_list_items_and_keys():
    data = {"name": "ok", "phones": ["1", "2\x00"], "a\ud800": {"b": ["\ud83d"]}}
    assert sorted(bad_json_paths(data)) == ["a?", "a?.b.0", "phones.1"]
    assert list(bad_json_paths("\x00")) == ["_schema"]


@BOUNDED
@given(st.integers(min_value=0, max_value=80), st.sampled_from(["[", "{\"k\":"]))
def test_depth_scan_agrees_with_the_nesting(depth, opener):
    closer = "]" if opener == "[" else "}"
    raw = (opener * depth + "1" + closer * depth).encode()
    assert json_depth_exceeds(raw, 32) is (depth > 32)


def test_brackets_inside_strings_do_not_count():
    raw = json.dumps({"text": "[" * 1000 + "\\\"{" * 100}).encode()
    assert not json_depth_exceeds(raw, 32)
    assert json_depth_exceeds(b"[" * 100_000, 32)  # unbalanced and huge: still quick
    # a string left open runs to the end, as a parser reads it: nothing after it nests
    assert not json_depth_exceeds(b'["a' + b"[" * 100, 32)
    assert json_depth_exceeds(b"[" * 40 + b'"open', 32)


class Inner(Schema):
    count = fields.Integer()


class Outer(Schema):
    name = fields.String()
    code = fields.String(validate=validate.Length(max=50_000))
    number = fields.Integer()
    small = fields.Integer(validate=validate.Range(min=0, max=9))
    items = fields.List(fields.Nested(Inner))
    owner_id = Id(allow_none=True)


@BOUNDED
@given(st.integers())
def test_every_integer_is_bounded_to_what_postgresql_stores(number):
    schema = bound_schema(Outer())
    try:
        loaded = schema.load({"number": number, "items": [{"count": number}]})
    except ValidationError as error:
        assert abs(number) > INT64_MAX
        assert set(flatten_errors(error.messages)) <= {"number", "items.0.count"}
    else:
        assert loaded["number"] == number


def test_strings_get_a_default_length_unless_they_declare_one():
    schema = bound_schema(Outer())
    assert schema.load({"code": "x" * 20_000})["code"]
    try:
        schema.load({"name": "x" * (DEFAULT_MAX_STRING + 1)})
    except ValidationError as error:
        assert set(error.messages) == {"name"}
    else:
        raise AssertionError("a 10,001-character name was accepted")


def test_an_id_is_between_one_and_int32_max():
    schema = Outer()
    assert schema.load({"owner_id": INT32_MAX})["owner_id"] == INT32_MAX
    for bad in (0, -1, INT32_MAX + 1):
        try:
            schema.load({"owner_id": bad})
        except ValidationError as error:
            assert set(error.messages) == {"owner_id"}
        else:
            raise AssertionError(f"owner_id {bad} was accepted")


def test_errors_of_list_items_and_nested_fields_are_flat_paths():
    messages = {"phones": {0: ["Bad."], 2: {"number": ["Missing."]}},
                "address": {"_schema": ["Whole."], "city": ["Long."]}, "name": ["No."]}
    assert flatten_errors(messages) == {"phones.0": ["Bad."], "phones.2.number": ["Missing."],
                                        "address": ["Whole."], "address.city": ["Long."],
                                        "name": ["No."]}
