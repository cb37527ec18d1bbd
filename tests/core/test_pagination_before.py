"""Keyset pages backwards: ``paginate(before=...)`` reads the page before a page in the list's
own order with its own ``prev_cursor``; a bad link is a named ``toolkit.PageError``; HTML lists
fall back to their first page with a notice while the API answers problem+json."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from crm_core import toolkit
from crm_core.auth.models import User
from crm_core.db import get_session
from crm_core.testing import create_test_user


@pytest.fixture(params=["sqlite", "postgresql"])
def users_app(request, crm_make_app):
    app = crm_make_app(plugins=[], database=request.param)
    for number in range(23):
        create_test_user(app, f"u{number:02d}")
    return app


def names(page: toolkit.Page) -> list[str]:
    return [user.username for user in page.items]


def walk(session, descending: bool) -> None:
    statement = select(User)
    pages = [toolkit.paginate(session, statement, sort=User.username, descending=descending,
                              limit=10, cursor=None, before=None)]
    assert pages[0].prev_cursor is None
    while pages[-1].next_cursor:
        pages.append(toolkit.paginate(session, statement, sort=User.username,
                                      descending=descending, limit=10,
                                      cursor=pages[-1].next_cursor))
    assert [len(page.items) for page in pages] == [10, 10, 3]
    assert all(page.prev_cursor for page in pages[1:])
    # Back from the last page to the first, each page as it was going forwards.
    page = pages[-1]
    for expected in reversed(pages[:-1]):
        page = toolkit.paginate(session, statement, sort=User.username,
                                descending=descending, limit=10, before=page.prev_cursor)
        assert names(page) == names(expected)
        assert page.next_cursor == expected.next_cursor
    assert page.prev_cursor is None  # back at the first page


def test_pages_read_backwards_match_the_pages_read_forwards(users_app):
    with users_app.app_context():
        session = get_session()
        walk(session, descending=False)
        walk(session, descending=True)


def test_before_the_first_row_gives_the_first_page(users_app):
    with users_app.app_context():
        session = get_session()
        first = toolkit.paginate(session, select(User), sort=User.username, limit=5,
                                 cursor=None)
        start = toolkit.encode_cursor(["", 0])
        page = toolkit.paginate(session, select(User), sort=User.username, limit=5,
                                before=start)
        assert names(page) == names(first) and page.prev_cursor is None


@pytest.mark.parametrize(("arguments", "field"), [
    ({"cursor": "not-a-cursor"}, "cursor"),
    ({"before": "bm9wZQ"}, "before"),
    ({"cursor": toolkit.encode_cursor([1]), "before": toolkit.encode_cursor([2])}, "before"),
    ({"limit": 0}, "limit"),
])
def test_a_bad_page_argument_raises_page_error_naming_it(crm_make_app, arguments, field):
    app = crm_make_app(plugins=[])
    with app.app_context(), pytest.raises(toolkit.PageError) as raised:
        toolkit.paginate(get_session(), select(User), **{"limit": 10, **arguments})
    assert field in raised.value.messages
