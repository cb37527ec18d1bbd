"""Template helpers (dates and times in the reader's zone, yuan, numbers, phone numbers) and
kernel templates a plugin overrides while still extending the original."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from flask import render_template_string

from crm_core.toolkit import (
    format_date,
    format_datetime,
    format_money,
    format_number,
    format_phone,
    format_time,
)

pytestmark = pytest.mark.crm_plugins()
NOON_UTC = dt.datetime(2026, 7, 1, 12, 0, 9, tzinfo=dt.UTC)


@pytest.mark.parametrize(("value", "shown"), [
    (Decimal("1234.5"), "¥1,234.50"), (-1234.5, "-¥1,234.50"), (None, "—"), (0, "¥0.00"),
    ("1000000", "¥1,000,000.00"), (Decimal("0.005"), "¥0.01"), ("-0.001", "¥0.00"),
    ("not money", "—"),
])
def test_money_is_yuan_to_the_fen(value, shown):
    assert format_money(value) == shown


def test_numbers_get_the_locales_separators():
    assert format_number(1234567, locale="zh_CN") == "1,234,567"
    assert format_number(1234.5, locale="en") == "1,234.5"
    assert format_number(1234567.891, places=2, locale="de_DE") == "1.234.567,89"
    assert format_number(None) == "—"


@pytest.mark.parametrize(("value", "shown"), [
    ("13812345678", "138 1234 5678"), ("+86 138-1234-5678", "138 1234 5678"),
    ("8613812345678", "138 1234 5678"), ("010-65529988", "010 6552 9988"),
    ("+862134949468", "021 3494 9468"), ("+861065529988;ext=89", "010 6552 9988 转 89"),
    ("+49 30 1234567", "+49301234567"), ("+1 415-555-2671", "+14155552671"),
    ("ext. 12", "ext. 12"), (None, "—"),
])
def test_phone_numbers_are_grouped_for_reading(value, shown):
    assert format_phone(value) == shown


def test_times_are_shown_in_the_zone_asked_for():
    assert format_datetime(NOON_UTC, tz="Asia/Shanghai") == "2026-07-01 20:00"
    assert format_datetime(NOON_UTC, tz="Europe/Berlin", seconds=True, zone=True) == \
        "2026-07-01 14:00:09 Europe/Berlin"
    assert format_datetime(NOON_UTC.replace(tzinfo=None), tz="UTC") == "2026-07-01 12:00"
    assert format_date(dt.datetime(2026, 7, 1, 20, tzinfo=dt.UTC), tz="Asia/Shanghai") == \
        "2026-07-02"
    assert format_time(NOON_UTC, tz="America/New_York") == "08:00"
    assert format_datetime(None) == "—"


def test_the_filters_use_the_signed_in_users_zone(crm_app, crm_client_as):
    from flask_login import login_user

    from crm_core.auth.models import User
    from crm_core.db import get_session

    berlin = crm_client_as("sales", timezone="Europe/Berlin").user
    with crm_app.test_request_context():
        user = get_session().get(User, berlin.id)
        user.__dict__["crm_session_key"] = "test"
        login_user(user)
        shown = render_template_string(
            "{{ t|datetime(zone=True) }}|{{ t|date }}|{{ 5|money }}|{{ '13812345678'|phone }}"
            "|{{ 12345|number }}|{{ t|datetimeformat('yyyy-MM-dd HH:mm') }}", t=NOON_UTC)
    assert shown == ("2026-07-01 14:00 Europe/Berlin|2026-07-01|¥5.00|138 1234 5678"
                     "|12,345|2026-07-01 14:00")


OVERRIDE_PLUGIN = """
from flask import Blueprint
from crm_core.toolkit import PluginInfo, hookimpl

PLUGIN = PluginInfo(name="brand", version="0.1.0", title="Brand")
bp = Blueprint("brand", __name__, template_folder="templates")


@hookimpl
def crm_blueprints():
    return [bp]
"""
HOME_OVERRIDE = """{% extends "kernel:core/home.html" %}
{% block content %}<p id="brand-welcome">Welcome to ACME</p>{{ super() }}{% endblock %}
"""


def test_a_plugin_overrides_a_kernel_template_and_extends_the_original(
        crm_make_app, crm_install_plugin):
    from crm_core.testing import client_as

    crm_install_plugin("brand", OVERRIDE_PLUGIN,
                       files={"templates/core/home.html": HOME_OVERRIDE})
    app = crm_make_app(plugins=["brand"])
    page = client_as(app, "sales").get("/").get_data(as_text=True)
    assert '<p id="brand-welcome">Welcome to ACME</p>' in page
    assert "Dashboard" in page and 'id="main"' in page  # the kernel's page and layout remain
    with app.test_request_context():
        assert "kernel:core/home.html" not in app.jinja_env.list_templates()
        source = app.jinja_env.loader.get_source(app.jinja_env, "brand:core/home.html")[0]
        assert "Welcome to ACME" in source

    plain = crm_make_app(plugins=[])
    assert "brand-welcome" not in client_as(plain, "sales").get("/").get_data(as_text=True)
