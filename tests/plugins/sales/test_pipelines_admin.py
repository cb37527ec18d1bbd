"""Pipelines and stages: the default "销售流程" from the migration, an administrator adding a
pipeline and stages through the pages, required fields chosen from the opportunity's, the
only default, ordering, and a stage holding opportunities that cannot be deleted."""

from __future__ import annotations

from typing import Any

import pytest
from opportunity_helpers import client, csrf_of, customer, unique


@pytest.fixture(scope="module")
def admin(sales_app) -> Any:
    """A client of a user holding ``sales.pipeline.manage`` (a superuser)."""
    return client(sales_app, None, superuser=True)


def test_a_new_install_has_the_default_pipeline_with_its_rules(sales_app):
    from crm_core.db import get_session
    from plugins.sales.pipelines.services import default_pipeline, stages_of

    with sales_app.test_request_context():
        session = get_session()
        pipeline = default_pipeline(session)
        stages = stages_of(session, pipeline.id)
        assert pipeline.name == "销售流程" and pipeline.is_default
        assert [stage.name for stage in stages] == ["初步接洽", "需求确认", "方案报价",
                                                     "商务谈判", "赢单", "输单"]
        negotiation = stages[3]
        assert negotiation.required_fields == ["amount", "expected_close_date"]
        assert [stage.kind for stage in stages[-2:]] == ["won", "lost"]


def test_an_administrator_adds_a_pipeline_and_its_stages(admin):
    name = unique("续约流程")
    token = csrf_of(admin.get("/sales/pipelines/new").get_data(as_text=True))
    made = admin.post("/sales/pipelines", data={"csrf_token": token, "name": name,
                                                "description": "", "active": "y"})
    assert made.status_code == 302, made.get_data(as_text=True)[:2000]
    pipeline_url = made.headers["Location"]
    pipeline_id = int(pipeline_url.rstrip("/").rsplit("/", 1)[1])
    page = admin.get(pipeline_url).get_data(as_text=True)
    assert name in page and "Add a stage" in page
    for stage, kind, required in (("沟通", "open", ""), ("签约", "open", "amount, next_step"),
                                  ("续约成功", "won", "")):
        added = admin.post("/sales/stages", data={
            "csrf_token": token, "pipeline_id": pipeline_id, "name": stage, "kind": kind,
            "probability": "30", "required_fields": required, "rot_days": "10"})
        assert added.status_code == 302, added.get_data(as_text=True)[:2000]
    page = admin.get(pipeline_url).get_data(as_text=True)
    assert page.index("沟通") < page.index("签约") < page.index("续约成功")
    assert "Requires: Amount、Next step" in page
    refused = admin.post("/sales/stages", data={
        "csrf_token": token, "pipeline_id": pipeline_id, "name": "错误", "kind": "open",
        "required_fields": "budget"})
    assert "Not a field a stage can require: budget" in refused.get_data(as_text=True)
    board = admin.get(f"/sales/kanban/{pipeline_id}").get_data(as_text=True)
    assert "沟通" in board and "续约成功" in board


def test_only_one_pipeline_is_the_default(sales_app):
    from crm_core.db import get_session
    from plugins.sales.pipelines.services import (
        PipelineError,
        create_pipeline,
        default_pipeline,
        update_pipeline,
    )

    with sales_app.test_request_context():
        session = get_session()
        first = default_pipeline(session)
        other = create_pipeline(session, {"name": unique("项目流程"), "is_default": True})
        assert default_pipeline(session).id == other.id
        session.refresh(first)
        assert not first.is_default
        with pytest.raises(PipelineError):
            update_pipeline(session, other, {"is_default": False})
        session.rollback()


def test_a_stage_holding_opportunities_cannot_be_deleted(sales_app, admin):
    from crm_core.db import get_session
    from plugins.sales.opportunities.services import create_opportunity
    from plugins.sales.pipelines.services import create_pipeline, create_stage

    rep = client(sales_app, department="华东")
    customer_id = customer(sales_app, rep.user)
    with sales_app.test_request_context():
        session = get_session()
        pipeline = create_pipeline(session, {"name": unique("拓展流程")})
        held = create_stage(session, {"pipeline_id": pipeline.id, "name": "有商机"})
        empty = create_stage(session, {"pipeline_id": pipeline.id, "name": "空阶段"})
        create_opportunity(session, {"name": "占位商机", "customer_id": customer_id,
                                     "pipeline_id": pipeline.id}, rep.user)
        session.commit()
        held_id, empty_id = held.id, empty.id
    confirm = admin.get(f"/sales/stages/{held_id}/delete").get_data(as_text=True)
    assert "It holds 1 opportunity" in confirm
    token = csrf_of(confirm)
    refused = admin.post(f"/sales/stages/{held_id}/delete", data={"csrf_token": token},
                         follow_redirects=True)
    assert "The stage “有商机” holds 1 opportunity" in refused.get_data(as_text=True) \
        .replace("&#34;", '"')
    assert admin.get(f"/sales/stages/{held_id}").status_code == 200
    deleted = admin.post(f"/sales/stages/{empty_id}/delete", data={"csrf_token": token})
    assert deleted.status_code == 302
    assert admin.get(f"/sales/stages/{empty_id}").status_code == 404


def test_a_sales_rep_may_not_edit_pipelines(sales_app):
    rep = client(sales_app, department="华东")
    assert rep.get("/sales/pipelines").status_code == 403
    assert rep.get("/sales/kanban").status_code == 200
