"""Document numbers from a configurable series: ``toolkit.next_number``.

Numbers count up per series and restart when the pattern's date part changes; a bad
pattern is refused with a message a user understands; two connections drawing at once never
get the same number (SQLite and PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select

from crm_core import toolkit
from crm_core.errors import DomainError
from crm_core.numbering.models import NumberSeries
from crm_core.testing import DATABASES

ORDER = "SO{yyyy}{mm}-{seq:04}"
DECEMBER = dt.date(2026, 12, 6)


@pytest.fixture
def app(crm_make_app):
    return crm_make_app(plugins=[])


@pytest.fixture
def session(app):
    with app.app_context():
        yield toolkit.get_session()


def test_numbers_count_up_and_restart_in_a_new_month(session):
    drawn = [toolkit.next_number(session, "sales.order", ORDER, when=DECEMBER) for _ in range(3)]
    assert drawn == ["SO202612-0001", "SO202612-0002", "SO202612-0003"]
    january = dt.date(2027, 1, 2)
    assert toolkit.next_number(session, "sales.order", ORDER, when=january) == "SO202701-0001"
    assert toolkit.next_number(session, "sales.order", ORDER, when=DECEMBER) == "SO202612-0004"


def test_each_series_counts_on_its_own(session):
    assert toolkit.next_number(session, "sales.order", ORDER, when=DECEMBER) == "SO202612-0001"
    assert toolkit.next_number(session, "sales.quote", "QT{yy}{mm}{dd}{seq:03}",
                               when=DECEMBER) == "QT261206001"
    assert toolkit.next_number(session, "sales.contract", "C-{seq}") == "C-1"
    assert toolkit.next_number(session, "sales.contract", "C-{seq}") == "C-2"


def test_changing_only_the_padding_keeps_counting(session):
    assert toolkit.next_number(session, "s.x", "A{seq:02}", when=DECEMBER) == "A01"
    assert toolkit.next_number(session, "s.x", "A{seq:05}", when=DECEMBER) == "A00002"


def test_the_date_is_the_business_day_of_the_default_time_zone(session):
    new_year_in_shanghai = dt.datetime(2026, 12, 31, 17, 0, tzinfo=dt.UTC)
    assert toolkit.next_number(session, "sales.order", ORDER,
                               when=new_year_in_shanghai) == "SO202701-0001"


def test_a_rolled_back_save_gives_its_number_back(session):
    toolkit.next_number(session, "sales.order", ORDER, when=DECEMBER)
    session.commit()
    assert toolkit.next_number(session, "sales.order", ORDER, when=DECEMBER) == "SO202612-0002"
    session.rollback()
    assert toolkit.next_number(session, "sales.order", ORDER, when=DECEMBER) == "SO202612-0002"


@pytest.mark.parametrize(("pattern", "says"), [
    ("SO{yyyy}{mm}", "must contain {seq} once"),
    ("{seq}-{seq}", "must contain {seq} once"),
    ("SO{month}{seq}", "knows only {yyyy}"),
    ("SO{seq:4}", "knows only {yyyy}"),
    ("SO{seq:010}", "knows only {yyyy}"),
    ("SO{seq}}", "braces enclose a placeholder"),
    ("", "1 to 100 characters"),
    ("X" * 101 + "{seq}", "1 to 100 characters"),
])
def test_an_unusable_pattern_is_refused_with_the_reason(pattern, says):
    with pytest.raises(toolkit.NumberPatternError) as refused:
        toolkit.check_number_pattern(pattern)
    assert says in str(refused.value)
    assert isinstance(refused.value, DomainError) and isinstance(refused.value, ValueError)


def test_next_number_refuses_a_bad_pattern_or_key_before_counting(session):
    with pytest.raises(toolkit.NumberPatternError, match="must contain"):
        toolkit.next_number(session, "sales.order", "SO{yyyy}")
    with pytest.raises(toolkit.NumberPatternError, match="needs a name"):
        toolkit.next_number(session, " ", ORDER)
    assert session.scalars(select(NumberSeries)).all() == []


def test_a_usable_pattern_passes_the_check():
    assert toolkit.check_number_pattern("HT{yyyy}-{seq:04}") is None


@pytest.mark.parametrize("database", DATABASES)
def test_two_connections_drawing_at_once_never_share_a_number(crm_make_app, database):
    app = crm_make_app(plugins=[], database=database)
    database_handle = app.extensions["crm_db"]
    start = threading.Barrier(2)
    drawn: list[list[str]] = [[], []]
    failures: list[BaseException] = []

    def draw(into: list[str]) -> None:
        try:
            with database_handle.new_session() as session:
                start.wait(timeout=30)
                for _ in range(50):
                    into.append(toolkit.next_number(session, "sales.order", ORDER,
                                                    when=DECEMBER))
                    session.commit()
        except BaseException as exc:  # noqa: BLE001  (reported by the assertion below)
            failures.append(exc)

    threads = [threading.Thread(target=draw, args=(into,)) for into in drawn]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    numbers = drawn[0] + drawn[1]
    assert len(numbers) == len(set(numbers)) == 100
    assert sorted(numbers) == [f"SO202612-{n:04}" for n in range(1, 101)]
