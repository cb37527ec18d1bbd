"""The customers plugin's tag list through the kernel's generic import (``customers.tag``):
names and colours from Chinese or English headers, bad colours listed, upsert by name."""

from __future__ import annotations

from sqlalchemy import select

from crm_core.db import get_session
from crm_core.imports.run import run_import
from crm_core.imports.service import create_import, get_spec
from plugins.customers.models import Tag


def import_tags(app, path, **settings):
    with app.app_context():
        session = get_session()
        spec = get_spec("customers.tag")
        imp = create_import(session, spec, path, user_id=None)
        for name, value in settings.items():
            setattr(imp, name, value)
        session.commit()
        return run_import(session, spec, imp)


def tags(app):
    with app.app_context():
        return dict(get_session().execute(select(Tag.name, Tag.colour).order_by(Tag.name)).all())


def test_tags_import_with_their_colours_and_upsert_by_name(customers_app, tmp_path):
    path = tmp_path / "tags.csv"
    path.write_text("标签,颜色\n重点,#FF0000\nVIP,00ff00\n坏,红色\n", encoding="utf-8-sig")
    counts = import_tags(customers_app, path)
    assert (counts.created, counts.failed) == (2, 1)
    assert tags(customers_app) == {"VIP": "#00ff00", "重点": "#ff0000"}
    path.write_text("Tag,Colour\n重点,#0000ff\nVIP,#00ff00\n", encoding="utf-8")
    counts = import_tags(customers_app, path, mode="upsert", key="name")
    assert (counts.updated, counts.skipped) == (1, 1)
    assert tags(customers_app)["重点"] == "#0000ff"


def test_crm_customers_import_tags_runs_the_kernels_import(customers_app, tmp_path):
    from crm_core.testing import invoke_cli

    path = tmp_path / "tags.csv"
    path.write_text("tag,color\nNew,#123456\n", encoding="utf-8")
    result = invoke_cli(customers_app, "customers", "import-tags", str(path), "--json")
    assert result.exit_code == 0, result.output
    assert tags(customers_app) == {"New": "#123456"}
