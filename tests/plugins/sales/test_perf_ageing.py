"""The receivables ageing widget as each reader sees it: an administrator's reads every
live contract's unpaid instalments (the deleted contracts' left out, by a short list), a
manager their department's, another department none."""

from __future__ import annotations

import datetime as dt

from contracts_testing import TODAY, contract_in_db, team

from crm_core.testing_clients import client_as
from plugins.sales.contracts.plan import add_instalment
from plugins.sales.models import Contract


def _over(client) -> float:
    """The widget's "31–60 days" bucket in yuan."""
    answer = client.get("/api/v1/widgets/sales.receivables_ageing")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()["data"]["values"][2]


def _owe(app, contract_id: int, fen: int) -> None:
    from crm_core.db import get_session

    with app.test_request_context():
        session = get_session()
        add_instalment(session, session.get(Contract, contract_id),
                       TODAY - dt.timedelta(days=45), fen)
        session.commit()


def _delete(app, contract_id: int) -> None:
    from crm_core.db import get_session
    from crm_core.toolkit import utcnow

    with app.test_request_context():
        session = get_session()
        session.get(Contract, contract_id).deleted_at = utcnow()
        session.commit()


def test_the_ageing_widget_leaves_out_deleted_contracts_for_every_reader(sales_app):
    world, outsider = team(sales_app), team(sales_app)
    admin = client_as(sales_app, None, superuser=True)
    kept = contract_in_db(sales_app, world, amount=10_000_000)
    dropped = contract_in_db(sales_app, world, amount=10_000_000)
    before = {"admin": _over(admin), "manager": _over(world["manager"]),
              "outsider": _over(outsider["manager"])}
    _owe(sales_app, kept, 12_345_00)
    _owe(sales_app, dropped, 1_000_00)
    assert _over(admin) == round(before["admin"] + 13_345, 2)
    assert _over(world["manager"]) == round(before["manager"] + 13_345, 2)
    assert _over(outsider["manager"]) == before["outsider"]
    _delete(sales_app, dropped)
    assert _over(admin) == round(before["admin"] + 12_345, 2)
    assert _over(world["manager"]) == round(before["manager"] + 12_345, 2)
    assert _over(world["rep"]) == 12_345
