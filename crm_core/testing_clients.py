"""Test users and signed-in test clients for ``crm_core.testing`` (plugin authors' kit).

``create_test_user(app, "rep", roles=["sales"], department="Team A")`` adds a user with
kernel roles and a department (found by name, created when missing).
``IsolatedClient`` runs every request in a context of its own: the test's app context, its
``g`` (the database session, the signed-in user, cached scopes and time zone) and its
context variables are never shared with the requests, nor the other way round.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

DEFAULT_PASSWORD = "correct-horse-9"


def _department_id(session: Any, name: str) -> int:
    """The id of the department called ``name`` (any place in the tree), created at the
    top level when there is none."""
    from sqlalchemy import select

    from .rbac.departments import create_department
    from .rbac.models import Department

    found = session.scalar(select(Department.id).where(Department.name == name)
                           .order_by(Department.id).limit(1))
    return found if found is not None else create_department(session, name).id


def create_test_user(app: Flask, username: str = "user", password: str = DEFAULT_PASSWORD,
                     superuser: bool = False, *, roles: Iterable[str] = (),
                     department: str | None = None, timezone: str | None = None,
                     display_name: str = "") -> Any:
    """Add a user to the app's database and return it (detached, id set).

    ``roles`` are role names (``"sales"``, ``"manager"``, or a plugin's); ``department`` a
    department name, created when missing; ``timezone`` an IANA name (None: the default).
    """
    from .auth.service import create_user
    from .rbac.service import assign_roles

    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        try:
            user = create_user(session, username, password, superuser=superuser,
                               display_name=display_name)
            if department is not None:
                user.department_id = _department_id(session, department)
            if timezone is not None:
                user.timezone = timezone
            session.flush()
            if roles:
                assign_roles(session, user.id, list(roles))
            session.commit()
            session.refresh(user)
            session.expunge(user)
        finally:
            session.close()
        return user


create_test_user.__test__ = False  # type: ignore[attr-defined]  # not a test itself


def start_test_session(app: Flask, user: Any, remember: bool = False) -> str:
    """A live server-side sign-in of ``user`` (an object with ``id``, or an id) in ``app``'s
    database; returns its key, what Flask-Login keeps as the user id."""
    from .auth.sessions import start_session

    user_id = user if isinstance(user, int) else user.id
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        try:
            key = start_session(session, user_id, remember=remember,
                                days=int(app.config.get("CRM_REMEMBER_DAYS", 14)))
            session.commit()
        finally:
            session.close()
    return key


def login(client: FlaskClient, user: Any) -> FlaskClient:
    """Sign ``user`` in on ``client``: a real server-side session, its key in the session
    cookie as Flask-Login stores it (signing out or a new password ends it)."""
    key = start_test_session(client.application, user)
    with client.session_transaction() as session:
        session["_user_id"] = key
        session["_fresh"] = True
    return client


class IsolatedClient(FlaskClient):
    """A test client whose requests run in a fresh context, never in the test's own.

    Flask reuses an app context the test has pushed (``with app.app_context():``) for the
    requests made inside it, so ``g`` — the database session, the signed-in user,
    per-request caches — leaks between the test and the requests. This client runs each
    request (and ``session_transaction``) in an empty ``contextvars.Context``: it pushes and
    pops an app context of its own. ``with client:`` (keeping the last request's context
    for inspection) is not supported: use a plain client for that.
    """

    user: Any = None  # the signed-in user, set by ``client_as``

    def open(self, *args: Any, **kwargs: Any) -> Any:
        return contextvars.Context().run(super().open, *args, **kwargs)

    def __enter__(self) -> Any:
        raise TypeError("an IsolatedClient keeps no request context: use app.test_client()")


def isolated_client(app: Flask) -> IsolatedClient:
    """An anonymous ``IsolatedClient`` of ``app``."""
    return IsolatedClient(app, app.response_class, use_cookies=True)


def sign_in(client: FlaskClient, user: Any) -> FlaskClient:
    """Sign ``user`` in on ``client`` (see ``crm_core.testing.login``), outside the test's
    own context when the client is isolated."""
    if isinstance(client, IsolatedClient):
        contextvars.Context().run(login, client, user)
    else:
        login(client, user)
    return client


def bearer_token(app: Flask, user: Any, name: str = "test") -> str:
    """A new API token of ``user``: send it as ``Authorization: Bearer <token>``."""
    from .api.tokens import create_token
    from .auth.models import User

    def make() -> str:
        with app.app_context():
            session = app.extensions["crm_db"].new_session()
            try:
                _row, plain = create_token(session, session.get(User, user.id), name)
                session.commit()
                return plain
            finally:
                session.close()

    return contextvars.Context().run(make)


def client_as(app: Flask, role: str | None = None, *, department: str | None = None,
              username: str | None = None, timezone: str | None = None,
              superuser: bool = False, roles: Iterable[str] = (),
              api: bool = False) -> IsolatedClient:
    """An ``IsolatedClient`` signed in as a new user holding ``role`` (and ``roles``).

    The user is ``client.user``; its name defaults to ``<role>-<n>``; ``department`` is a
    department name (created when missing). With ``api=True`` every request carries a bearer
    token of the user instead of the session cookie, as an API client's would: JSON writes
    need no CSRF token then (``client.post("/api/v1/...", json={...})``).
    """
    names = [name for name in [role, *roles] if name]
    if username is None:
        counter = app.extensions.setdefault("crm_test_users", [0])
        counter[0] += 1
        username = f"{role or 'user'}-{counter[0]}"
    user = create_test_user(app, username, roles=names, department=department,
                            timezone=timezone, superuser=superuser)
    client = isolated_client(app)
    client.user = user
    if api:
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {bearer_token(app, user)}"
        return client
    return sign_in(client, user)  # type: ignore[return-value]


def statements_of(app: Flask, client: FlaskClient, url: str, kind: Callable[[str], str],
                  **request: Any) -> dict[str, list[str]]:
    """The SQL statements GET ``url`` ran, grouped by ``kind(sql)`` (what each is for: the
    page, the scope, the names...). The answer must be 200. For tests of a list's SQL
    budget: a statement per row would show as a group that grows with the page."""
    from sqlalchemy import event

    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        seen.append(sql)

    engine = app.extensions["crm_db"].engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        answer = client.get(url, **request)
        assert answer.status_code == 200, (url, answer.status_code)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    grouped: dict[str, list[str]] = {}
    for sql in seen:
        grouped.setdefault(kind(sql), []).append(sql)
    return grouped


def read_row(app: Flask, model: type, record_id: int) -> Any:
    """A fresh copy of one row of ``model`` as the database holds it now (detached), read in
    a session of its own."""
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        row = session.get(model, record_id)
        if row is not None:
            session.expunge(row)
        session.close()
    return row


def csrf_token_of(client: FlaskClient, url: str) -> str:
    """The CSRF token of the page at ``url`` (its first form's, else its meta tag's)."""
    import re

    page = client.get(url).get_data(as_text=True)
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or \
        re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert found, f"no CSRF token on {url}"
    return found.group(1)
