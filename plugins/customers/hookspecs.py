"""The hooks the customers plugin offers to other plugins.

Events (``customer_*``) are called inside the unit of work that made the change, before
commit, with keyword arguments only and ids, never ORM objects. A listener may write in the
same session (its writes commit or roll back with the change); a listener that raises is
logged and skipped, and never stops the save. Implement them in your ``plugin.py`` with
``@hookimpl`` (``@hookimpl(optionalhook=True)`` when customers may be disabled) and list
``"customers"`` in ``requires`` otherwise.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from crm_core.toolkit import hookspec


@hookspec
def customer_created(customer_id: int) -> None:
    """A customer was created (by a form, the API, an import or a merge), before commit."""


@hookspec
def customer_updated(customer_id: int, changed: list[str]) -> None:
    """A customer's fields changed; ``changed`` names them (``["name", "phones"]``).

    Not called when an update changed nothing."""


@hookspec
def customer_deleted(customer_id: int) -> None:
    """A customer was moved to the trash (it still exists and may be restored)."""


@hookspec
def customer_purged(customer_id: int) -> None:
    """A customer is being deleted for good (not moved to the trash), before commit: delete
    or detach your rows that point at it now; afterwards it no longer exists.

    Called today only when an all-or-nothing import takes back the customers its own run had
    just created; undo and the trash never purge. A future "empty the trash" calls it too."""


@hookspec
def customer_restored(customer_id: int) -> None:
    """A customer was taken back out of the trash."""


@hookspec
def customer_merged(target_id: int, merged_ids: list[int]) -> None:
    """Customers ``merged_ids`` were merged into ``target_id``; move your rows that point at
    them to ``target_id``. The merged customers are in the trash afterwards."""


@hookspec
def crm_customer_panels(customer_id: int, user: Any) -> list[Any]:
    """Panels for the customer's 360° page that ``user`` may see.

    Return a list of dicts ``{"id": "<plugin>.<name>", "title": str, "html": Markup,
    "order": int}`` (lower ``order`` first), or an empty list. Check the user's permissions
    and data scope yourself; keep it to one or two indexed queries."""


@hookspec
def crm_customer_flag_kinds() -> dict[str, Any]:
    """The kinds of flag your plugin raises on customers (``services.raise_flag``), each
    with its label: ``{"<plugin>.<name>": lazy_gettext("Open complaint")}``. The 360° page
    shows the open flags of the kinds some enabled plugin declares (a disabled plugin's
    flags are not shown)."""


@hookspec
def crm_customer_timeline(customer_id: int, user: Any, before: dt.datetime | None,
                          limit: int) -> list[Any]:
    """Timeline entries about the customer that ``user`` may see, newest first, at most
    ``limit`` of them and strictly older than ``before`` (None: from now).

    Return dicts ``{"at": aware datetime, "kind": str, "title": str, "url": str | None,
    "plugin": "<plugin>"}``; the page merges every plugin's entries by ``at``."""
