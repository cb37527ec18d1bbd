"""Customer types and tags named in the file that do not exist: the check lists them ("2 new
tags will be created: …") and the run creates them, unless the user says not to."""

from __future__ import annotations

import json

from sqlalchemy import select

from crm_core.db import get_session
from crm_core.testing import invoke_cli
from plugins.customers import services
from plugins.customers.models import Customer, CustomerTag, CustomerType, Tag


def write(path, text):
    path.write_text(text, encoding="utf-8-sig")
    return path


def names(app, model):
    with app.app_context():
        return sorted(get_session().scalars(select(model.name)))


def test_missing_types_and_tags_are_listed_at_the_check_and_created(customers_app, tmp_path):
    with customers_app.app_context():
        session = get_session()
        services.create_tag(session, "老客户")
        session.commit()
    path = write(tmp_path / "a.csv", "客户名称,客户类型,标签\n华宇,渠道,\"重点, VIP\"\n"
                                     "明达,渠道,老客户\n")
    checked = invoke_cli(customers_app, "customers", "import", str(path), "--dry-run")
    assert checked.exit_code == 0, checked.output
    assert "2 new tags will be created: 重点, VIP" in checked.output
    assert "1 new customer types will be created: 渠道" in checked.output
    assert names(customers_app, Tag) == ["老客户"] and names(customers_app, CustomerType) == []
    refused = invoke_cli(customers_app, "customers", "import", str(path), "--json",
                         "--no-create-missing")
    assert json.loads(refused.output.strip().splitlines()[-1])["failed"] == 2
    done = invoke_cli(customers_app, "customers", "import", str(path), "--json")
    assert json.loads(done.output.strip().splitlines()[-1])["created"] == 2
    assert names(customers_app, Tag) == ["VIP", "老客户", "重点"]
    assert names(customers_app, CustomerType) == ["渠道"]
    with customers_app.app_context():
        session = get_session()
        first = session.scalar(select(Customer.id).where(Customer.name == "华宇"))
        assert sorted(session.scalars(select(Tag.name).join(
            CustomerTag, CustomerTag.tag_id == Tag.id).where(
            CustomerTag.customer_id == first))) == ["VIP", "重点"]
