"""Input at the edge, as a client sees it: bad text, deep or large JSON, huge integers, long
URLs and bodies are refused with a 4xx naming the field, on PostgreSQL too, never a 500."""

from __future__ import annotations

import io
import time
from typing import Any

import pytest
from flask import Blueprint, request
from marshmallow import Schema, fields

from crm_core.testing import test_service_url
from crm_core.toolkit import INT32_MAX, api_endpoint, public, upload_limit

PROBLEM = "application/problem+json"


class ItemIn(Schema):
    name = fields.String(required=True)
    phones = fields.List(fields.String(), load_default=list)
    count = fields.Integer(load_default=0)


class ThingQuery(Schema):
    number = fields.Integer(load_default=0)


def _edge_blueprint() -> Blueprint:
    bp = Blueprint("edgetest", __name__)

    @api_endpoint(bp, "/api/v1/edge/items", methods=["POST"], public=True, body=ItemIn)
    def add_item(body: dict[str, Any]) -> Any:
        """Echo the item."""
        return body

    @api_endpoint(bp, "/api/v1/edge/things/<int:thing_id>", public=True, query=ThingQuery)
    def thing(thing_id: int, query: dict[str, Any]) -> Any:
        """Echo the id."""
        return {"id": thing_id, **query}

    @bp.post("/edge/raw-json")
    @public
    def raw_json() -> Any:
        return {"got": request.get_json(silent=True) is not None}

    @bp.post("/edge/form")
    @public
    def form() -> Any:
        return {"fields": len(request.form), "files": len(request.files)}

    @bp.post("/edge/upload")
    @upload_limit(3)
    @public
    def upload() -> Any:
        return {"size": len(request.files["file"].read())}
    return bp


@pytest.fixture(params=["sqlite", "postgresql"])
def edge_app(request, crm_make_app):
    if request.param == "postgresql":
        test_service_url("CRM_TEST_DATABASE_URL")  # skips (or fails in CI) without one
    app = crm_make_app(plugins=[], database=request.param)
    app.register_blueprint(_edge_blueprint())
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def test_a_nul_in_a_query_string_is_a_400_naming_it(edge_app):
    client = edge_app.test_client()
    api = client.get("/api/v1/edge/things/1?number=1%00")
    assert api.status_code == 400 and api.content_type == PROBLEM
    assert set(api.get_json()["errors"]) == {"query:number"}
    page = client.get("/login?next=%00")
    assert page.status_code == 400 and "crm-error" in page.get_data(as_text=True)


def test_a_nul_in_a_path_value_is_a_400(edge_app):
    response = edge_app.test_client().get("/api/v1/widgets/a%00b")
    assert response.status_code == 400 and response.content_type == PROBLEM
    assert set(response.get_json()["errors"]) == {"path:widget_id"}


def test_a_nul_in_the_sign_in_name_is_a_400_page_not_a_500(edge_app):
    response = edge_app.test_client().post(
        "/login", data={"username": "ad\x00a", "password": "whatever-long"})
    assert response.status_code == 400
    assert "form:username" in response.get_data(as_text=True)


def test_nul_in_form_keys_and_upload_names_is_refused(edge_app):
    client = edge_app.test_client()
    assert client.post("/edge/form", data={"a\x00": "1"}).status_code == 400
    upload = {"file": (io.BytesIO(b"x"), "evil\x00.csv")}
    assert client.post("/edge/form", data=upload,
                       content_type="multipart/form-data").status_code == 400
    assert client.post("/edge/form", data={"a": "1"}).get_json() == {"fields": 1, "files": 0}


def test_a_multipart_part_without_a_name_is_not_a_500(edge_app):
    body = (b"--b\r\nContent-Disposition: form-data\r\n\r\nnameless\r\n"
            b"--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--b--\r\n")
    answer = edge_app.test_client().post("/edge/form", data=body,
                                         content_type="multipart/form-data; boundary=b")
    assert answer.status_code < 500
    upload = edge_app.test_client().post("/api/v1/attachments", data=body,
                                         content_type="multipart/form-data; boundary=b")
    assert upload.status_code < 500


@pytest.mark.parametrize("bad", ["a\x00b", "\ud800"])
def test_bad_text_anywhere_in_a_json_body_is_a_422_naming_its_path(edge_app, bad):
    body = f'{{"name": "ok", "phones": ["1", "{bad.encode("unicode_escape").decode()}"]}}'
    body = body.replace("\\x00", "\\u0000")
    response = edge_app.test_client().post("/api/v1/edge/items", data=body,
                                           content_type="application/json")
    assert response.status_code == 422 and response.content_type == PROBLEM
    assert set(response.get_json()["errors"]) == {"phones.1"}


def test_deep_json_is_refused_before_parsing(edge_app):
    client = edge_app.test_client()
    deep = "[" * 100_000 + "]" * 100_000
    api = client.post("/api/v1/edge/items", data=deep, content_type="application/json")
    assert api.status_code == 400 and api.content_type == PROBLEM
    # Any other view reading JSON is protected by the app's JSON provider.
    raw = client.post("/edge/raw-json", data=deep, content_type="application/json")
    assert raw.status_code == 400
    ok = client.post("/edge/raw-json", json={"a": [[[1]]]})
    assert ok.status_code == 200 and ok.get_json() == {"got": True}


def test_a_body_of_unclosed_strings_is_answered_at_once_not_scanned_for_minutes(edge_app):
    """'"\\' repeated never closes a string: the depth scan used to try a string again from
    each quote, so 100 KB of it took half a minute and the 1 MB the edge accepts an hour of a
    worker's CPU (a dead worker). Now the open string runs to the end, as a parser reads it."""
    client = edge_app.test_client()
    body = b'"\\' * 50_000 + b"[" * 40  # 100 KB
    began = time.perf_counter()
    api = client.post("/api/v1/edge/items", data=body, content_type="application/json")
    raw = client.post("/edge/raw-json", data=body, content_type="application/json")
    assert time.perf_counter() - began < 5  # the old scan: ~30 s on the machines we use
    assert api.status_code in (400, 422) and api.content_type == PROBLEM  # not JSON
    assert raw.status_code == 200 and raw.get_json() == {"got": False}  # read as no JSON


def test_errors_of_list_items_are_flat_paths(edge_app):
    response = edge_app.test_client().post("/api/v1/edge/items",
                                           json={"name": "x", "phones": ["1", 2]})
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"phones.1": ["Not a valid string."]}


def test_integers_past_bigint_are_a_422_and_ids_past_int32_a_404(edge_app):
    client = edge_app.test_client()
    big = client.post("/api/v1/edge/items", json={"name": "x", "count": 2**70})
    assert big.status_code == 422 and set(big.get_json()["errors"]) == {"count"}
    query = client.get(f"/api/v1/edge/things/1?number={2**64}")
    assert query.status_code == 422 and set(query.get_json()["errors"]) == {"number"}
    assert client.get(f"/api/v1/edge/things/{INT32_MAX}").status_code == 200
    past = client.get(f"/api/v1/edge/things/{INT32_MAX + 1}")
    assert past.status_code == 404 and past.content_type == PROBLEM
    assert client.get("/jobs/99999999999999999999").status_code in (302, 404)


def test_a_string_past_the_default_length_is_a_422(edge_app):
    response = edge_app.test_client().post("/api/v1/edge/items", json={"name": "x" * 10_001})
    assert response.status_code == 422 and set(response.get_json()["errors"]) == {"name"}


def test_a_body_over_the_limit_is_a_413_problem(edge_app):
    client = edge_app.test_client()
    huge = '{"name": "' + "x" * (1024 * 1024) + '"}'
    api = client.post("/api/v1/edge/items", data=huge, content_type="application/json")
    assert api.status_code == 413 and api.content_type == PROBLEM
    page = client.post("/edge/form", data={"a": "x" * (1024 * 1024 + 1)})
    assert page.status_code == 413 and "crm-error" in page.get_data(as_text=True)


def test_an_upload_route_may_raise_the_limit(edge_app):
    client = edge_app.test_client()
    two_mb = {"file": (io.BytesIO(b"x" * (2 * 1024 * 1024)), "a.csv")}
    response = client.post("/edge/upload", data=two_mb, content_type="multipart/form-data")
    assert response.status_code == 200 and response.get_json() == {"size": 2 * 1024 * 1024}
    four_mb = {"file": (io.BytesIO(b"x" * (4 * 1024 * 1024)), "a.csv")}
    too_big = client.post("/edge/upload", data=four_mb, content_type="multipart/form-data")
    assert too_big.status_code == 413


def test_a_too_long_url_is_a_414(edge_app):
    client = edge_app.test_client()
    api = client.get("/api/v1/edge/things/1?q=" + "x" * 9000)
    assert api.status_code == 414 and api.content_type == PROBLEM
    page = client.get("/login?q=" + "x" * 9000)
    assert page.status_code == 414 and "crm-error" in page.get_data(as_text=True)


def test_the_openapi_document_describes_the_errors_and_bounds_that_are_sent(edge_app):
    from crm_core.api.openapi import build_spec

    with edge_app.app_context():
        spec = build_spec(edge_app)
    errors = spec["components"]["schemas"]["Problem"]["properties"]["errors"]
    assert errors["type"] == "object"
    assert errors["additionalProperties"] == {"type": "array", "items": {"type": "string"}}
    assert "phones.0" in errors["description"]
    sent = edge_app.test_client().post("/api/v1/edge/items",
                                       json={"name": "x", "phones": [1]}).get_json()["errors"]
    assert all(isinstance(key, str) and isinstance(value, list)
               and all(isinstance(text, str) for text in value) for key, value in sent.items())
    thing = spec["paths"]["/api/v1/edge/things/{thing_id}"]["get"]
    [path_id] = [p for p in thing["parameters"] if p["in"] == "path"]
    assert path_id["schema"] == {"type": "integer", "minimum": 0, "maximum": INT32_MAX}
    assert {"400", "404", "414", "422"} <= set(thing["responses"])
    item = spec["components"]["schemas"]["Item"] if "Item" in spec["components"]["schemas"] \
        else spec["paths"]["/api/v1/edge/items"]["post"]["requestBody"]["content"][
            "application/json"]["schema"]
    if "$ref" in item:
        item = spec["components"]["schemas"][item["$ref"].rsplit("/", 1)[1]]
    assert item["properties"]["name"]["maxLength"] == 10_000
    assert item["properties"]["count"]["maximum"] == 2**63 - 1
    assert "413" in spec["paths"]["/api/v1/edge/items"]["post"]["responses"]
