"""Helpers of the pipeline, opportunity and kanban tests: users, customers, a fresh
pipeline, opportunities made through the services (so history and totals are right)."""

from __future__ import annotations

import itertools
import re
from typing import Any

from flask import Flask

_serial = itertools.count(1)


def unique(prefix: str) -> str:
    """A name no other test of the process uses."""
    return f"{prefix}{next(_serial)}-{id(_serial) % 997}"


def client(app: Flask, role: str | None = "sales", department: str = "华东销售部",
           api: bool = False, **options: Any) -> Any:
    """An isolated client signed in as a new user with ``role`` (``client.user``)."""
    from crm_core.testing_clients import client_as

    return client_as(app, role, department=department, api=api, **options)


def customer(app: Flask, owner: Any) -> int:
    """A customer owned by ``owner``."""
    from plugins.customers.services import create_customer

    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        made = create_customer(session, name=unique("客户"), owner_id=owner.id)
        session.commit()
        customer_id = made.id
        session.close()
    return customer_id


STAGES = (("接洽", 10, "open", [], 14), ("报价", 50, "open", ["amount"], 21),
          ("谈判", 75, "open", ["amount", "expected_close_date"], 30),
          ("赢单", 100, "won", [], None), ("输单", 0, "lost", ["lost_reason"], None))


def pipeline(session: Any) -> tuple[Any, list[Any]]:
    """A new pipeline with five stages (see ``STAGES``)."""
    from plugins.sales.pipelines import services

    made = services.create_pipeline(session, {"name": unique("流程")})
    stages = [services.create_stage(session, {"pipeline_id": made.id, "name": name,
                                              "probability": probability, "kind": kind,
                                              "required_fields": required,
                                              "rot_days": rot})
              for name, probability, kind, required, rot in STAGES]
    return made, stages


def csrf_of(html: str) -> str:
    """The CSRF token of a page."""
    found = re.search(r'name="csrf-token" content="([^"]+)"', html) or \
        re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)
