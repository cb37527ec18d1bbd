"""The API list's unfiltered page runs a statement built once (issue 11, throughput); it must
answer exactly what the general way (``list_statement`` and ``paginate``) answers: the same
rows, cursors and previous-page flags, for every kind of scope, order and cursor, forged
cursors included."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from customers_testing import add_user
from sqlalchemy import select, update

from crm_core.api.pagination import PageError, encode_cursor
from crm_core.auth.models import User
from crm_core.db import get_session
from crm_core.rbac.departments import create_department
from crm_core.rbac.models import Role
from crm_core.rbac.service import set_role_scopes
from crm_core.toolkit import paginate
from plugins.customers import services
from plugins.customers.api.rows import _page_select, _unfiltered, list_customer_rows
from plugins.customers.models import Customer
from plugins.customers.records.queries import SORTS, list_statement

START = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)
WHO = ("root", "rep", "lead", "homeless_lead", "disabled")


@pytest.fixture
def world(customers_app):
    """A superuser, a rep (own customers), a lead who sees their department's, a lead of no
    department, a disabled user; 25 customers over two departments, several sharing an
    update time and a name (the keyset's ties), one in the trash."""
    with customers_app.test_request_context():
        session = get_session()
        east = create_department(session, "华东销售部").id
        north = create_department(session, "华北销售部").id
        session.commit()
        ids = {"root": add_user(customers_app, session, "root", [], superuser=True),
               "rep": add_user(customers_app, session, "rep", ["sales"], east),
               "lead": add_user(customers_app, session, "lead", ["manager"], east),
               "homeless_lead": add_user(customers_app, session, "nomad", ["manager"]),
               "disabled": add_user(customers_app, session, "gone", ["manager"], east)}
        session.get(User, ids["disabled"]).is_active = False
        manager = session.scalars(select(Role).where(Role.name == "manager")).one()
        set_role_scopes(session, manager.id, {"customers.customer": "department"})
        other = add_user(customers_app, session, "sun", ["sales"], north)
        session.commit()
        for number in range(25):
            owner = (ids["rep"], ids["lead"], other)[number % 3]
            customer = services.create_customer(
                session, name=f"客户{number % 8:02d}", owner_id=owner)
            session.execute(update(Customer).where(Customer.id == customer.id).values(
                total_amount=(number % 6) * 1000, created_at=START + dt.timedelta(hours=number),
                updated_at=START + dt.timedelta(minutes=number % 5)))
        services.delete_customer(session, customer.id)
        session.commit()
    return ids


def general(session, user, sort, descending, limit, cursor):
    """The page the way every filtered list reads it."""
    statement = list_statement(_page_select(), user=user, sort=sort, session=session)
    return paginate(session, statement, sort=SORTS[sort], id_column=Customer.id,
                    descending=descending, limit=limit, cursor=cursor)


def forged(*values) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode().rstrip("=")


@pytest.mark.parametrize("who", WHO)
def test_the_reused_statement_reads_what_the_general_way_reads(customers_app, world, who):
    with customers_app.test_request_context():
        session = get_session()
        user = session.get(User, world[who])
        for sort in SORTS:
            for descending in (True, False):
                cursor, seen = None, 0
                for _page in range(4):
                    fast = list_customer_rows(session, user=user, sort=sort,
                                              descending=descending, limit=4, cursor=cursor)
                    slow = general(session, user, sort, descending, 4, cursor)
                    assert fast == slow, (who, sort, descending, cursor)
                    seen += len(fast.items)
                    cursor = fast.next_cursor
                    if cursor is None:
                        break
                # the lead of no department sees their own customers: none
                assert (seen > 0) == (who in ("root", "rep", "lead")), (who, sort)
        assert _unfiltered.cache_info().currsize  # the reused statements answered


def test_forged_cursors_answer_as_the_general_way_does(customers_app, world):
    with customers_app.test_request_context():
        session = get_session()
        user = session.get(User, world["lead"])
        cursors = [encode_cursor([7, 3]), encode_cursor(["客户03", 2]),  # wrong kinds
                   encode_cursor([dt.date(2026, 3, 1), 1]), forged(True, 1),
                   forged(1.5, 2), forged({"dec": "10.5"}, 4), forged(None, 3)]
        _unfiltered.cache_clear()
        for cursor in cursors:
            for sort in ("updated", "name"):
                fast = list_customer_rows(session, user=user, sort=sort, limit=3, cursor=cursor)
                assert fast == general(session, user, sort, True, 3, cursor), (cursor, sort)
        assert _unfiltered.cache_info().currsize  # the cursors of bindable values
        for bad in ("not-a-cursor", forged(1), forged([1], 2)):
            with pytest.raises(PageError) as fast_error:
                list_customer_rows(session, user=user, limit=3, cursor=bad)
            with pytest.raises(PageError) as slow_error:
                general(session, user, "updated", True, 3, bad)
            assert fast_error.value.messages == slow_error.value.messages
