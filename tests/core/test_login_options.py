"""Other ways to sign in on the login page (``crm_login_options``): a plugin's buttons show
under the form with their label, link and icon; a link off the site or an item without a
label is left out; a plugin that raises leaves the page working without its buttons."""

from __future__ import annotations

import pytest

from crm_core.toolkit import hookimpl


class _Offers:
    @hookimpl
    def crm_login_options(self) -> list:
        return [{"label": "Sign in with Example", "url": "/example/signin", "icon": "key"},
                {"label": "Evil", "url": "https://evil.example/login"},
                {"label": "Scheme-relative", "url": "//evil.example/x"},
                {"label": "", "url": "/no-label"},
                {"label": "Odd icon", "url": "/odd", "icon": "x\" onload=\"alert(1)"},
                "not an option"]


class _Broken:
    @hookimpl
    def crm_login_options(self) -> list:
        raise RuntimeError("a broken plugin")


@pytest.fixture
def app(crm_make_app):
    return crm_make_app(plugins=[])


def test_options_show_checked_and_a_broken_plugin_is_left_out(app) -> None:
    client = app.test_client()
    assert 'id="login-options"' not in client.get("/login").get_data(as_text=True)
    manager = app.extensions["crm"].pm
    offers, broken = _Offers(), _Broken()
    manager.register(offers, name="offers")
    manager.register(broken, name="broken")
    try:
        answer = client.get("/login")
    finally:
        manager.unregister(offers)
        manager.unregister(broken)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200 and 'id="login-options"' in page
    assert 'href="/example/signin"' in page and "Sign in with Example" in page
    assert 'class="bi bi-key"' in page
    assert "evil.example" not in page and "/no-label" not in page
    assert 'href="/odd"' in page and "onload" not in page
