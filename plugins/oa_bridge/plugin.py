"""OA bridge: metadata and hook implementations (thin: they name what the plugin offers).

The features live in sub-packages (see docs/oa_bridge.md): ``connections`` (settings pages,
``crm oa``), ``callbacks`` (``/oa/callback/<name>``), ``tokens`` (the shared token cache and
``OaClient``) and ``approvals`` (the approval provider and decision callbacks). Each part
offers what it has through module-level functions named like the kernel hook minus ``crm_``.
"""

from __future__ import annotations

from typing import Any

from crm_core.toolkit import Permission, PluginInfo, PluginParts, hookimpl

from .permissions import N_, PERMISSIONS

PLUGIN = PluginInfo(
    name="oa_bridge",
    version="0.1.0",
    title=N_("OA bridge"),
    description=N_("Approvals decided in DingTalk, WeCom or Feishu, through verified and "
                   "encrypted callbacks."),
    requires=(),
)

PARTS: tuple[str, ...] = ("connections.views", "connections.cli", "callbacks.views",
                          "approvals.provider", "notices.channels", "notices.robots",
                          "org.tasks", "signin.views", "admin.links", "admin.processes",
                          "admin.robots")
_PARTS = PluginParts(__package__, PARTS)


@hookimpl
def crm_add_hookspecs(pm: Any) -> None:
    from . import hookspecs

    pm.add_hookspecs(hookspecs)


@hookimpl
def crm_models() -> list[type]:
    from .models import MODELS

    return list(MODELS)


@hookimpl
def crm_permissions() -> list[Permission]:
    return list(PERMISSIONS)


globals().update(_PARTS.forward(
    "blueprints", "menu_items", "cli_commands", "outbox_channels", "notification_channels",
    "celery_tasks", "beat_schedule"))


@hookimpl
def crm_notification_sent(kind: str, title: str, body: str, session: Any) -> None:
    from .notices.robots import notification_sent

    notification_sent(kind, title, body, session)


@hookimpl
def crm_login_options() -> list[Any]:
    from .signin.views import login_options

    return login_options()


@hookimpl
def crm_approval_provider(approval_id: int, subject_kind: str, subject_id: int, title: str,
                          details: str, amount: Any, requester_id: int | None) -> Any:
    from .approvals.provider import take_over

    return take_over(approval_id, subject_kind, subject_id, title, details, amount,
                     requester_id)
