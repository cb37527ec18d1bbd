"""The things plugins register, as frozen dataclasses; the toolkit re-exports them.

A plugin returns these from its hooks; the kernel collects them per plugin, refuses duplicate
ids (naming both plugins) and keeps the result on ``app.extensions["crm"]``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass(frozen=True)
class PluginInfo:
    """A plugin's metadata, the ``PLUGIN`` constant of its ``plugin.py``.

    ``name`` is the plugin's one name everywhere (package, table prefix, permission prefix,
    Alembic branch label, task prefix); ``requires`` names the plugins it needs enabled.
    """

    name: str
    version: str
    title: str
    description: str = ""
    requires: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "requires", tuple(self.requires))


@dataclass(frozen=True)
class Permission:
    """A permission a plugin declares: ``<plugin>.<object>.<verb>``, a label and a group."""

    name: str
    label: str
    group: str = ""


@dataclass(frozen=True)
class RoleSpec:
    """A default role, the permissions it is granted and how far it sees records.

    ``permissions`` holds names or shell patterns (``"customers.*"``; ``"*"`` is everything).
    ``scopes`` maps a record kind (``"customers.customer"``, or ``"*"`` for any kind) to
    ``"own"``, ``"department"`` or ``"all"``. Plugins naming the same role add to it.
    """

    name: str
    label: str
    permissions: tuple[str, ...] = ()
    scopes: dict[str, str] = field(default_factory=dict)
    description: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "permissions", tuple(self.permissions))


@dataclass(frozen=True)
class MenuItem:
    """An entry of the sidebar; shown only to users holding ``permission``."""

    id: str
    label: str
    endpoint: str
    permission: str | None = None
    icon: str = "circle"
    order: int = 100
    parent: str | None = None


ChartKind = Literal["bar", "pie", "line", "number", "list"]


@dataclass(frozen=True)
class ReportWidget:
    """A dashboard widget: ``data()`` returns the JSON the chart is drawn from.

    ``caption`` is a line under the title ("Last 30 days"); ``data()`` may instead return
    ``as_of`` (a UTC time: "as of 09:20" in the reader's zone) or its own ``caption``.
    ``date_range=True`` says the widget can be limited to dates: it is then called as
    ``data(date_from=..., date_to=...)`` (``datetime.date`` or None, both inclusive, in the
    company's calendar) when a dashboard's date filter asks; otherwise always as ``data()``.
    """

    id: str
    title: str
    kind: ChartKind
    data: Callable[..., Any]
    permission: str | None = None
    order: int = 100
    caption: str | None = None
    date_range: bool = False


@dataclass(frozen=True)
class TaskSpec:
    """A background task. The kernel registers it with Celery as ``<plugin>.<name>``.

    With ``job=True`` the function receives a ``job`` argument (a ``JobHandle``) and the
    kernel marks the Job running, done or failed around it.
    """

    name: str
    func: Callable[..., Any]
    job: bool = False
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ScheduleEntry:
    """A periodic run of a registered task: every ``seconds``, or on a Unix cron string
    ``crontab`` ("minute hour day-of-month month day-of-week", e.g. ``"30 2 * * *"``)."""

    name: str
    task: str
    seconds: float | None = None
    crontab: str | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SearchHit:
    """One result of the global search box."""

    kind: str
    title: str
    url: str
    subtitle: str = ""
