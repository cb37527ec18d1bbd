"""What a bearer token signs in as, kept in the worker for a few seconds (issue 11, throughput).

Each API request used to read its token and user, and for a user who is not a superuser
their permissions and their roles' data scopes: two to four statements and the ORM objects
they make, about a fifth of an API list request's CPU. A worker now keeps, per token hash,
the token's and the user's columns, the user's permission names and role scopes, for
``CRM_API_TOKEN_CACHE_SECONDS`` (default 5; 0 turns the cache off), and hands each request
fresh objects of the session made from them, without a statement.

Staleness, thought through:

- A write through the app's engine to a table the entry was made from (the tokens, users,
  roles, role permissions and scopes, permissions, departments) empties this worker's cache
  when it runs and again when its connection commits and goes back to the pool, so a token
  revoked or a user deactivated in this worker is refused by the very next request. An entry
  read while such a write was under way is not kept (``generation``).
- Another process (the other gunicorn workers, ``crm`` on the command line) cannot reach this
  worker's memory: what it changes is seen here when the entry expires, after at most
  ``CRM_API_TOKEN_CACHE_SECONDS``. A revoked token, a deactivated user or a withdrawn
  permission may therefore still be served by another worker for that long. Set it to 0
  where that matters more than throughput.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from ..auth.models import User
from ..errors import ConfigError
from .models import ApiToken
from .tokens import BOOKKEEPING

DEFAULT_SECONDS = 5.0
MAX_ENTRIES = 4096
#: Writes to a table whose name contains one of these empty the cache (``core_role``
#: covers ``core_role_permission`` and ``core_role_scope``, ``core_user`` ``core_user_role``).
TABLES = ("core_api_token", "core_user", "core_role", "core_permission", "core_department")
_DIRTY = "crm_token_cache_dirty"


@dataclass(frozen=True)
class Entry:
    """What one token signed in as, and until when (``time.monotonic``) it is trusted: the
    token and its user as detached copies (never in a session, never changed but for the
    token's ``last_used_at``), the user's permission names and role scopes (None for a
    superuser: read when asked, as without the cache)."""

    token: ApiToken
    user: User
    permissions: frozenset[str] | None
    role_scopes: dict[int, dict[str, str]] | None
    expires: float


def _detached_copy(instance: Any) -> Any:
    """A copy of a loaded object in no session, its values as if just loaded."""
    model = type(instance)
    # getattr, not the state's dict: an attribute expired by a commit is loaded again
    copy = model(**{attribute.key: getattr(instance, attribute.key)
                    for attribute in inspect(instance).mapper.column_attrs})
    make_transient_to_detached(copy)
    return copy


def _attached(session: Session, detached: Any) -> Any:
    """The session's own copy of a detached object, as if just loaded (no statement): the
    one it holds already, if any (it may be newer)."""
    found = session.identity_map.get(inspect(detached).key)
    return found if found is not None else session.merge(detached, load=False)


class TokenCache:
    """The per-worker cache of one app (``app.extensions["crm_token_cache"]``)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.entries: dict[str, Entry] = {}
        self.generation = 0
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        """Whether entries are kept at all."""
        return self.seconds > 0

    def get(self, token_hash: str) -> Entry | None:
        """The live entry of a token hash, or None."""
        entry = self.entries.get(token_hash)
        if entry is None:
            return None
        if entry.expires <= time.monotonic():
            self.entries.pop(token_hash, None)
            return None
        return entry

    def put(self, token_hash: str, entry: Entry, generation: int) -> None:
        """Keep ``entry`` unless the cache was emptied since ``generation`` was read (the
        entry may predate a change)."""
        with self._lock:
            if generation != self.generation:
                return
            if len(self.entries) >= MAX_ENTRIES:
                self.entries.clear()
            self.entries[token_hash] = entry

    @staticmethod
    def noted(entry: Entry, when: Any) -> None:
        """The token's use was written at ``when``: not again for a minute."""
        set_committed_value(entry.token, "last_used_at", when)

    def clear(self) -> None:
        """Forget every entry (a token, user, role or permission changed)."""
        with self._lock:
            self.generation += 1
            self.entries.clear()

    def entry_for(self, token: ApiToken, user: User) -> Entry:
        """An entry made from a token and its user just read, with the user's permissions
        and role scopes (a superuser needs neither: every permission, scope ``all``)."""
        from ..rbac.scope import role_scopes

        permissions = scopes = None
        if not user.is_superuser:
            permissions = user.permissions
            scopes = role_scopes(user.id)
        return Entry(_detached_copy(token), _detached_copy(user), permissions, scopes,
                     time.monotonic() + self.seconds)

    def restore(self, session: Session, entry: Entry) -> tuple[ApiToken, User]:
        """The entry's token (its detached copy: the request only reads it) and its user
        as an object of ``session`` (a request may change it, as without the cache), no
        statement; the user's permissions and role scopes primed for this request."""
        from ..rbac.scope import prime_role_scopes

        token = entry.token
        user = _attached(session, entry.user)
        if entry.permissions is not None and "_crm_permissions" not in user.__dict__:
            user.__dict__["_crm_permissions"] = entry.permissions
        if entry.role_scopes is not None:
            prime_role_scopes(user.id, entry.role_scopes)
        return token, user


def token_cache() -> TokenCache | None:
    """The current app's cache, None when it is off."""
    cache = current_app.extensions.get("crm_token_cache")
    return cache if cache is not None and cache.enabled else None


def _writes_sign_in_tables(statement: str) -> bool:
    head = statement.lstrip()[:6].upper()
    if head in ("SELECT", "PRAGMA", "SAVEPO", "RELEAS", "BEGIN", "COMMIT", "ROLLBA"):
        return False
    return any(table in statement for table in TABLES)


def watch(engine: Engine, cache: TokenCache) -> None:
    """Empty ``cache`` on every write through ``engine`` to the tables it is made from: when
    the write runs, when its transaction commits and when its connection returns to the
    pool (after the commit: no entry read before it survives)."""

    @event.listens_for(engine, "after_cursor_execute")
    def _after_execute(connection: Any, _cursor: Any, statement: str, _parameters: Any,
                       context: Any, _many: bool) -> None:
        if _writes_sign_in_tables(statement) and not (
                context is not None and context.execution_options.get(BOOKKEEPING)):
            connection.info[_DIRTY] = True
            cache.clear()

    @event.listens_for(engine, "commit")
    def _on_commit(connection: Any) -> None:
        if connection.info.get(_DIRTY):
            cache.clear()

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        if record.info.pop(_DIRTY, False):
            cache.clear()


def init_app(app: Flask, engine: Engine) -> TokenCache:
    """Give ``app`` its cache (``CRM_API_TOKEN_CACHE_SECONDS``) watching ``engine``."""
    configured = app.config.get("CRM_API_TOKEN_CACHE_SECONDS", DEFAULT_SECONDS)
    try:
        seconds = float(configured or 0)
    except (TypeError, ValueError):
        raise ConfigError("CRM_API_TOKEN_CACHE_SECONDS must be a number of seconds (0: no "
                          f"cache), not {configured!r}") from None
    cache = TokenCache(max(seconds, 0.0))
    app.extensions["crm_token_cache"] = cache
    if cache.enabled:
        watch(engine, cache)
    return cache
