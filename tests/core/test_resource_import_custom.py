"""A Resource's generic import carries custom fields: a column per field the importer may
edit (its header the field's key, ``custom.<key>`` or its label in either language), each
cell checked by the field's type (a bad cell fails its row, naming its column), the values
stored through the same path as the Resource's form; the import's own export writes them
back. Shown on the campaigns (a built-in kind with custom fields) imported through their
own service (``create``/``update``) and through the kernel's table writer."""

from __future__ import annotations

import csv
import dataclasses

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from crm_core.custom_fields import service
from crm_core.custom_fields.importing import with_custom_fields
from crm_core.custom_fields.storage import record_kinds
from crm_core.db import get_session
from crm_core.imports.files import import_folder, read_checks
from crm_core.imports.run import run_import
from crm_core.imports.service import create_import
from crm_core.resources.importing import import_spec_of
from crm_core.testing_clients import create_test_user
from crm_core.toolkit import Field, Resource


@pytest.fixture
def app(crm_make_app):
    made = crm_make_app(plugins=["customers", "marketing"])
    with made.app_context():
        session = get_session()
        kind = record_kinds(made)["marketing.campaign"]
        service.create_field(session, kind, {
            "key": "tier", "type": "choice", "options": ["甲级", "乙级"],
            "labels": {"zh_CN": "等级", "en": "Account tier"}})
        service.create_field(session, kind, {
            "key": "cap", "type": "money", "labels": {"zh_CN": "封顶金额", "en": "Cap amount"}})
        service.create_field(session, kind, {
            "key": "region", "type": "text", "default": "华东",
            "labels": {"zh_CN": "区域", "en": "Region"}})
        session.commit()
    return made


def _campaigns(app):
    from plugins.marketing.models import Campaign

    with app.app_context():
        return {row.name: row for row in get_session().scalars(select(Campaign))}


def _served(app):
    """The campaigns' own Resource (writes through marketing's service), offering import."""
    from crm_core.resources.registration import resources

    found = next(resource for _plugin, resource in resources(app.extensions["crm"].pm)
                 if resource.key == "marketing.campaigns")
    made = dataclasses.replace(found, actions=(*found.actions, "import"))
    made.plugin = "marketing"
    return made


def _plain(app):
    """A Resource over the campaigns with no service: the kernel's table writer."""
    from plugins.marketing.models import Campaign

    made = Resource(model=Campaign, name="campaigns", label="Campaigns",
                    fields=[Field("name", "Name"), Field("channel", "Channel")],
                    actions=("view", "import"))
    made.plugin = "marketing"
    return made


def _run(app, resource, path, *, user_id, mode="insert", key=None, locale="en"):
    with app.app_context(), force_locale(locale):
        session = get_session()
        spec = with_custom_fields(import_spec_of(resource))
        imp = create_import(session, spec, path, user_id=user_id)
        imp.mode, imp.key = mode, key
        session.commit()
        counts = run_import(session, spec, imp, user_id=user_id)
        checks = {row: reason for row, _level, reason in read_checks(import_folder(imp.id))}
        return counts, checks, spec


def _csv(path, rows):
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


@pytest.mark.parametrize("build", [_served, _plain], ids=["service", "table"])
def test_custom_columns_are_mapped_checked_and_stored(app, tmp_path, build):
    user = create_test_user(app, "importer", superuser=True)
    resource = build(app)
    path = _csv(tmp_path / "campaigns.csv", [
        ["name", "等级", "custom.cap"],
        ["春季活动", "甲级", "1,234.5"],
        ["夏季活动", "丙级", ""],
        ["秋季活动", "", "很多"],
    ])
    counts, checks, spec = _run(app, resource, path, user_id=user.id, locale="zh_CN")
    assert {"custom.tier", "custom.cap", "custom.region"} <= {item.name for item in spec.fields}
    assert (counts.created, counts.failed) == (1, 2), checks
    assert checks["3"].startswith("等级: ") and "丙级" in checks["3"]  # row 3, its column
    assert checks["4"].startswith("custom.cap: ")
    found = _campaigns(app)
    assert set(found) == {"春季活动"}
    # stored as the form stores them: money in fen, the default of a field not given
    assert found["春季活动"].custom == {"tier": "甲级", "cap": 123450, "region": "华东"}

    # an upsert by ID changes the values its cells give (an English label and the key)
    record_id = found["春季活动"].id
    again = _csv(tmp_path / "again.csv", [["id", "name", "Account tier", "region"],
                                          [str(record_id), "春季活动", "乙级", ""]])
    counts, checks, _spec = _run(app, resource, again, user_id=user.id, mode="upsert",
                                 key="id")
    assert (counts.updated, counts.failed) == (1, 0), checks
    assert _campaigns(app)["春季活动"].custom == {"tier": "乙级", "cap": 123450,
                                               "region": "华东"}


def test_the_import_export_writes_the_custom_columns_back(app, tmp_path):
    user = create_test_user(app, "exporter", superuser=True)
    resource = _served(app)
    path = _csv(tmp_path / "campaigns.csv", [["name", "tier", "Cap amount"],
                                             ["冬季活动", "甲级", "99"]])
    counts, checks, spec = _run(app, resource, path, user_id=user.id)
    assert counts.created == 1, checks
    with app.test_request_context(headers={"Accept-Language": "en"}):
        headers, batches = spec.export(get_session(), None)
        rows = [row for batch in batches for row in batch]
    assert headers[-3:] == ["Account tier", "Cap amount", "Region"]
    assert rows[-1][-3:] == ["甲级", "99.00", "华东"]


def test_the_mapping_offers_only_the_fields_the_importer_may_edit(app):
    from crm_core.auth.models import User
    from crm_core.custom_fields.importing import typed_import_fields

    rep = create_test_user(app, "rep", roles=["marketing"])
    with app.app_context():
        session = get_session()
        kind = record_kinds(app)["marketing.campaign"]
        service.create_field(session, kind, {
            "key": "secret", "type": "text", "labels": {"en": "Secret"},
            "edit_roles": ["admin"]})
        session.commit()
        mine = {item.name for item in typed_import_fields(kind.key, session.get(User, rep.id))}
        every = {item.name for item in typed_import_fields(kind.key)}
    assert "custom.tier" in mine and "custom.secret" not in mine
    assert "custom.secret" in every  # the command line: no user, every field
