"""Sealed credentials: stored encrypted, opened with the same key, refused under another,
and keys rotate without losing what was sealed."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from crm_core.toolkit import SealError, seal, unseal


def test_a_sealed_secret_opens_with_its_key_and_hides_the_text(crm_make_app):
    app = crm_make_app(plugins=[])
    with app.app_context():
        sealed = seal("odoo-api-key-1234")
        assert "odoo-api-key-1234" not in sealed
        assert seal("odoo-api-key-1234") != sealed  # a fresh IV each time
        assert unseal(sealed) == "odoo-api-key-1234"
    other = crm_make_app(plugins=[], CRM_SECRET_KEY="another-secret-key-entirely")
    with other.app_context(), pytest.raises(SealError, match="Enter it again"):
        unseal(sealed)


def test_keys_rotate_the_new_one_seals_and_the_old_one_still_opens(crm_make_app):
    from crm_core.cli import cli

    old_key, new_key = (CliRunner().invoke(cli, ["encryption-key"]).output.strip()
                        for _ in range(2))
    with crm_make_app(plugins=[], CRM_ENCRYPTION_KEY=old_key).app_context():
        before = seal("飞书 app secret")
    rotated = crm_make_app(plugins=[], CRM_ENCRYPTION_KEY=f"{new_key},{old_key}")
    with rotated.app_context():
        assert unseal(before) == "飞书 app secret"
        after = seal("飞书 app secret")
    with crm_make_app(plugins=[], CRM_ENCRYPTION_KEY=new_key).app_context():
        assert unseal(after) == "飞书 app secret"
        with pytest.raises(SealError):
            unseal(before)
