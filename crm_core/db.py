"""Database: one MetaData with a naming convention, the declarative base, mixins, sessions.

Every model of every plugin shares ``Model.metadata``; which tables belong to the running app
is decided by the enabled plugins (``crm_models``), not by what happens to be imported.
Sessions are per app context: a request, a CLI command or a Celery task each get their own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import DateTime, MetaData, create_engine, event, func
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> dt.datetime:
    """The current time in UTC, timezone-aware."""
    return dt.datetime.now(dt.UTC)


class Model(DeclarativeBase):
    """Base class of every model, kernel and plugins alike."""

    metadata = metadata


def model_for_table(table: str) -> type:
    """The model class mapped to ``table``: how a plugin names another plugin's published
    table in a relation (``Field(relation=model_for_table(CUSTOMER_TABLE))``) without
    importing that plugin's models. ``LookupError`` when no enabled plugin maps it."""
    for mapper in Model.registry.mappers:
        if getattr(mapper.local_table, "name", None) == table:
            return mapper.class_
    raise LookupError(f"no model maps the table {table!r}: is its plugin enabled?")


class TimestampMixin:
    """``created_at`` and ``updated_at``, set by the application in UTC."""

    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow, server_default=func.now())


def stored_time(moment: dt.datetime | None) -> dt.datetime | None:
    """A time read back from the database as an aware UTC datetime: every stored time is
    UTC, and SQLite hands them back naive (None stays None)."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=dt.UTC)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {}).setdefault("timeout", 30)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


# Each SQLite connection's page cache, in KiB (SQLite's default is 2 MiB, 500 pages). A list
# page reads its 50 rows and their phones, emails and tags from as many scattered pages;
# walking ten pages by cursor touched ~2,000, more than the default cache holds, so every
# request read them all again from the operating system: 25-35 % of a walked page's time at
# a million customers (issue 11, throughput). The cache fills only as pages are read.
SQLITE_CACHE_KIB = 32 * 1024
# ... and while a read walks whole tables once (an export), SQLite's default: such a read uses
# no page twice, and a full cache of 32 MiB in each of an export's two processes added 45 MiB
# to its peak memory and cost 7-20 % of its speed at a million customers (issue 11).
SCAN_CACHE_KIB = 2 * 1024


def sqlite_pragmas(dbapi_connection: Any, _record: Any = None) -> None:
    """The settings each SQLite connection of the app gets (the engine's ``connect`` event;
    ``bench/`` gives its plain sqlite3 connections the same)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cursor.close()


@contextmanager
def scan_cache(session: Session) -> Iterator[None]:
    """Run a read that walks whole tables once (an export) with a small page cache on
    ``session``'s SQLite connection (``SCAN_CACHE_KIB``), ``SQLITE_CACHE_KIB`` again after
    it. The session's transaction must last the whole read (a commit may hand the connection
    back to the pool). Nothing on other databases."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    connection.exec_driver_sql(f"PRAGMA cache_size=-{SCAN_CACHE_KIB}")
    try:
        yield
    finally:
        if not connection.closed:
            connection.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")


class Database:
    """The app's engine and its per-app-context session (``app.extensions["crm_db"]``)."""

    def __init__(self, app: Flask) -> None:
        self.engine = make_engine(app.config["CRM_DATABASE_URL"])
        app.extensions["crm_db"] = self
        app.teardown_appcontext(self._close_session)

    def new_session(self) -> Session:
        """A fresh session, not tied to the app context (the caller closes it)."""
        return Session(bind=self.engine, expire_on_commit=False)

    @staticmethod
    def _close_session(_exc: BaseException | None) -> None:
        session = g.pop("crm_db_session", None)
        if session is not None:
            session.close()


def get_session() -> Session:
    """The session of the current app context, created on first use."""
    session = g.get("crm_db_session")
    if session is None:
        session = current_app.extensions["crm_db"].new_session()
        g.crm_db_session = session
    return session


class _SessionProxy:
    """``db.session`` reads as the current app context's session."""

    def __getattr__(self, name: str) -> Any:
        return getattr(get_session(), name)


class _DB:
    """What plugins use as ``toolkit.db``: ``db.session``, ``db.Model``, ``db.engine``."""

    Model = Model
    metadata = metadata
    session = _SessionProxy()

    @property
    def engine(self) -> Engine:
        return current_app.extensions["crm_db"].engine


db = _DB()
