"""``toolkit.sql``: month, day and ISO-week labels of stored times, the same on SQLite and
PostgreSQL, in the time zone asked for (daylight saving followed)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Column, DateTime, Integer, MetaData, Table, func, insert, select

from crm_core.errors import DomainError
from crm_core.testing import DATABASES, create_test_user
from crm_core.toolkit import sql

UTC = dt.UTC
MOMENTS = [
    dt.datetime(2026, 12, 31, 16, 30, tzinfo=UTC),  # Shanghai: already 2027-01-01 00:30
    dt.datetime(2026, 3, 29, 0, 30, tzinfo=UTC),    # Berlin: 01:30 CET, before the switch
    dt.datetime(2026, 3, 29, 22, 30, tzinfo=UTC),   # Berlin: 00:30 CEST on the 30th
    dt.datetime(2026, 12, 4, 9, 0, tzinfo=UTC),
    dt.datetime(2026, 12, 4, 10, 0, tzinfo=UTC),
]


def probe_table(app) -> Table:
    table = Table("kit_probe", MetaData(), Column("id", Integer, primary_key=True),
                  Column("at", DateTime(timezone=True)))
    engine = app.extensions["crm_db"].engine
    table.create(engine)
    with engine.begin() as connection:
        connection.execute(insert(table), [{"at": moment} for moment in MOMENTS])
    return table


def grouped(app, table: Table, unit, zone: str | None) -> list[tuple[str, int]]:
    label = unit(table.c.at, zone).label("period")
    with app.extensions["crm_db"].engine.connect() as connection:
        return [tuple(row) for row in connection.execute(
            select(label, func.count()).group_by(label).order_by(label))]


@pytest.mark.parametrize("database", DATABASES)
def test_labels_are_the_same_on_both_databases_in_any_zone(crm_make_app, database):
    app = crm_make_app(plugins=[], database=database, migrate=False)
    table = probe_table(app)

    assert grouped(app, table, sql.month, "UTC") == [("2026-03", 2), ("2026-12", 3)]
    assert grouped(app, table, sql.month, "Asia/Shanghai") == [
        ("2026-03", 2), ("2026-12", 2), ("2027-01", 1)]
    assert grouped(app, table, sql.day, "Europe/Berlin") == [
        ("2026-03-29", 1), ("2026-03-30", 1), ("2026-12-04", 2), ("2026-12-31", 1)]
    assert grouped(app, table, sql.week, "UTC") == [
        ("2026-W13", 2), ("2026-W49", 2), ("2026-W53", 1)]
    # Sunday 22:30 UTC is Monday in Berlin: the next ISO week
    assert grouped(app, table, sql.week, "Europe/Berlin")[:2] == [("2026-W13", 1),
                                                                   ("2026-W14", 1)]
    # 2027-01-01 (Shanghai) is in ISO week 53 of 2026, not in a week of 2027
    assert grouped(app, table, sql.week, "Asia/Shanghai")[-1] == ("2026-W53", 1)
    for moment in MOMENTS:
        assert sql.label_of("day", moment, "Europe/Berlin") == moment.astimezone(
            dt.timezone(dt.timedelta(hours=2 if moment.month == 3 and moment.hour > 1 else 1))
        ).strftime("%Y-%m-%d")


@pytest.mark.parametrize("database", DATABASES)
def test_without_a_zone_the_signed_in_users_zone_groups(crm_make_app, database):
    app = crm_make_app(plugins=[], database=database)
    table = probe_table(app)
    user = create_test_user(app, "berliner", timezone="Europe/Berlin")
    with app.test_request_context():
        from flask_login import login_user

        from crm_core.auth.models import User
        from crm_core.db import get_session

        signed_in = get_session().get(User, user.id)
        signed_in.__dict__["crm_session_key"] = "test"
        login_user(signed_in)
        assert grouped(app, table, sql.day, None)[:2] == [("2026-03-29", 1), ("2026-03-30", 1)]
    with app.app_context():  # no user: CRM_DEFAULT_TIMEZONE (Asia/Shanghai)
        assert grouped(app, table, sql.month, None)[-1] == ("2027-01", 1)


def test_a_zone_that_does_not_exist_is_refused_before_any_sql():
    with pytest.raises(DomainError, match="Mars/Olympus"):
        sql.month(Column("at", DateTime(timezone=True)), "Mars/Olympus")
