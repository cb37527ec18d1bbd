"""Security headers on every answer: pages, API, static files and errors, of every route of
an app with every installed plugin; and a CSP the pages actually work under."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Blueprint, request
from werkzeug.routing import IntegerConverter

from crm_core.testing import create_test_user, login
from crm_core.toolkit import embeddable, public

ROOT = Path(__file__).resolve().parents[2]


def assert_secure(response, where: str, framed: bool = False) -> None:
    """The headers every answer has; ``framed``: an ``@embeddable`` view's, which another
    site may frame (its own origins, never a missing directive)."""
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if part.strip())
    assert directives.get("script-src") == "'self'", where
    assert directives.get("object-src") == "'none'", where
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("Referrer-Policy") == "same-origin", where
    if framed:
        assert directives.get("frame-ancestors"), where
        assert "X-Frame-Options" not in headers, where
        return
    assert directives.get("frame-ancestors") == "'none'", where
    assert headers.get("X-Frame-Options") == "DENY", where


def _sample_url(rule) -> str:
    values = {arg: 1 if isinstance(rule._converters[arg], IntegerConverter) else "x"
              for arg in rule.arguments}
    return rule.build(values, append_unknown=False)[1]


def test_every_route_answers_with_the_security_headers(crm_app):
    app = crm_app  # every installed plugin
    app.config["WTF_CSRF_ENABLED"] = False
    user = create_test_user(app, "ada", superuser=True)
    anonymous, signed_in = app.test_client(), app.test_client()
    walked = 0
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            url = _sample_url(rule)
            if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
                continue
            framed = bool(getattr(app.view_functions[rule.endpoint], "crm_embeddable", ()))
            for client in (anonymous, login(signed_in, user)):
                response = client.open(url, method=method)
                assert_secure(response, f"{method} {url}: {response.status_code}", framed)
                walked += 1
    assert walked > 50


def test_static_files_errors_and_refusals_carry_them_too(crm_app):
    client = crm_app.test_client()
    for url in ("/static/crm.js", "/static/vendor/swagger-ui/swagger-ui-bundle.js",
                "/no-such-page", "/api/v1/no-such-thing", "/healthz?x=%00",
                "/api/v1/me?q=" + "x" * 9000):
        response = client.get(url)
        assert_secure(response, f"GET {url}: {response.status_code}")
    plugin_static = [rule for rule in crm_app.url_map.iter_rules()
                     if rule.endpoint.endswith(".static") and rule.endpoint != "static"]
    for rule in plugin_static:
        folder = Path(crm_app.blueprints[rule.endpoint.rsplit(".", 1)[0]].static_folder)
        sample = next((p for p in folder.rglob("*") if p.is_file()), None)
        if sample is not None:
            url = rule.build({"filename": sample.relative_to(folder).as_posix()})[1]
            response = client.get(url)
            assert response.status_code == 200
            assert_secure(response, f"GET {url}")


def test_an_embeddable_view_may_be_framed_and_no_other(crm_make_app):
    app = crm_make_app(plugins=[], migrate=False)
    bp = Blueprint("edgeframe", __name__)

    @bp.get("/public-form")
    @embeddable(origins=("https://shop.example.com",))
    @public
    def public_form():
        return "form"

    @bp.get("/anywhere")
    @embeddable
    @public
    def anywhere():
        return "form"

    @bp.get("/per-record/<key>")
    @embeddable(origins=lambda: {"a": ("https://a.example.com",), "b": ()}[
        request.view_args["key"]])
    @public
    def per_record(key):
        return key

    app.register_blueprint(bp)
    client = app.test_client()
    assert "frame-ancestors https://a.example.com" in client.get(
        "/per-record/a").headers["Content-Security-Policy"]
    assert_secure(client.get("/per-record/b"), "a record whose origins are none")
    framed = client.get("/public-form")
    assert "X-Frame-Options" not in framed.headers
    assert "frame-ancestors https://shop.example.com" in framed.headers[
        "Content-Security-Policy"]
    assert "script-src 'self'" in framed.headers["Content-Security-Policy"]
    assert "frame-ancestors *" in client.get("/anywhere").headers["Content-Security-Policy"]
    assert_secure(client.get("/healthz"), "a view that did not ask")


def test_no_template_needs_inline_script_or_eval():
    """The CSP allows scripts only from files of this site: no template may rely on more."""
    templates = [*ROOT.glob("crm_core/templates/**/*.html"),
                 *ROOT.glob("plugins/*/templates/**/*.html"),
                 *ROOT.glob("examples/*/*/templates/**/*.html")]
    assert templates
    for template in templates:
        html = template.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag, f"{template}: inline <script>"
            assert "//" not in tag.split("src=", 1)[1].split(">")[0].replace(
                "url_for", ""), f"{template}: a script from another site"
        assert not re.search(r"\son[a-z]+\s*=", html), f"{template}: an inline event handler"
        assert "javascript:" not in html and "hx-on" not in html, template


def test_the_api_reference_page_loads_its_scripts_from_this_site(crm_app):
    user = create_test_user(crm_app, "ada", superuser=True)
    client = login(crm_app.test_client(), user)
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert_secure(page, "/api/docs")
    html = page.get_data(as_text=True)
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert any("swagger-ui-bundle.js" in src for src in scripts)
    for src in scripts:
        assert src.startswith("/static/"), src
        assert client.get(src).status_code == 200
    assert "<script>" not in html
