"""Signed links and public budgets: what a customer without an account meets."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import pytest
from flask_babel import force_locale

from crm_core.toolkit import LinkExpired, LinkInvalid, over_budget, read_link, sign_link


@pytest.fixture()
def app(crm_make_app):
    return crm_make_app(plugins=[], CRM_RATELIMIT_KEY_PREFIX=f"t-{uuid.uuid4().hex[:8]}")


def test_a_link_opens_only_for_its_purpose_and_intact(app):
    with app.test_request_context():
        token = sign_link("service.survey", {"survey": 7})
        assert read_link("service.survey", token, max_age=60) == {"survey": 7}
        with pytest.raises(LinkInvalid):
            read_link("service.status", token)  # another purpose
        with pytest.raises(LinkInvalid):
            read_link("service.survey", token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))
        with pytest.raises(LinkInvalid):
            read_link("service.survey", "x" * 5000)
        with pytest.raises(LinkInvalid):
            read_link("service.survey", "")


def test_a_link_made_with_another_secret_is_refused(app, crm_make_app):
    other = crm_make_app(plugins=[], CRM_SECRET_KEY="another-secret-key-for-this-test")
    with other.test_request_context():
        token = sign_link("service.survey", 1)
    with app.test_request_context():
        with pytest.raises(LinkInvalid):
            read_link("service.survey", token)


def test_an_old_link_expires_with_a_translated_message(app):
    with app.test_request_context():
        token = sign_link("service.survey", 1)
        time.sleep(1.1)
        with force_locale("zh_CN"), pytest.raises(LinkExpired) as expired:
            read_link("service.survey", token, max_age=dt.timedelta(seconds=0))
        assert expired.value.status == 410
        assert "expired" not in str(expired.value)  # it is in Chinese
        assert read_link("service.survey", token, max_age=3600) == 1


def test_a_budget_counts_per_key_and_says_how_long_to_wait(app):
    with app.test_request_context():
        tries = [over_budget("service.form", "10.0.0.1", "2 per minute") for _ in range(3)]
        assert tries[:2] == [None, None]
        assert 1 <= tries[2] <= 60
        assert over_budget("service.form", "10.0.0.2", "2 per minute") is None
        assert over_budget("service.survey", "10.0.0.1", "2 per minute") is None
