"""Marketing: metadata and hook implementations (thin: they name what the plugin offers).

The features live in the modules named in ``PARTS`` (see docs/marketing.md): campaigns and
cost lines (``resource``), their state moves and audience (``campaign_api``, the editor in
``audience_page``), the consent ledger (``consent_pages``, its panel on the customer's page
in ``customer_panel``), the widget and demo data. A part
offers what it has through plain module-level functions named like the kernel hook minus
``crm_`` (``resources()``, ``blueprints()``...).
"""

from __future__ import annotations

from typing import Any

from crm_core.toolkit import PluginInfo, PluginParts, RoleSpec, hookimpl
from plugins.customers import hookspecs as customer_hooks


def N_(message: str) -> str:
    """Mark ``message`` for translation but keep it as is (the page showing it translates)."""
    return message


PLUGIN = PluginInfo(
    name="marketing",
    version="0.1.0",
    title=N_("Marketing"),
    description=N_("Campaigns targeted by classification and tags, with effect tracking."),
    requires=("customers",),
)

PARTS: tuple[str, ...] = ("resource", "campaign_api", "audience_page", "consent_pages",
                          "customer_panel", "widgets", "demo", "events.part",
                          "responses.views", "evaluation.views", "evaluation.api",
                          "tracking.public", "tracking.pages", "mail.views", "mail.api",
                          "mail.public", "mail.delivery", "mail.ab", "tracking.redis_hits")
_PARTS = PluginParts(__package__, PARTS)

GROUP = N_("Marketing")
CAMPAIGN = ("view", "create", "edit", "delete", "export")
#: A marketer sees their department's campaigns (and their own).
SCOPES = {"marketing.campaign": "department"}


def _grants(actions: tuple[str, ...]) -> tuple[str, ...]:
    # cost lines (``campaign_cost``) go with their campaign
    return tuple(f"marketing.{kind}.{action}" for kind in ("campaign", "campaign_cost")
                 for action in actions)


@hookimpl
def crm_add_hookspecs(pm: Any) -> None:
    from . import hookspecs

    pm.add_hookspecs(hookspecs)


@hookimpl
def crm_models() -> list[type]:
    from .events.models import MODELS as EVENT_MODELS
    from .mail.models import MAIL_MODELS
    from .models import MODELS
    from .responses.models import MODELS as RESPONSE_MODELS
    from .tracking.models import MODELS as TRACKING_MODELS

    return [*MODELS, *TRACKING_MODELS, *EVENT_MODELS, *RESPONSE_MODELS, *MAIL_MODELS]


globals().update(_PARTS.forward(
    "demo_data", "permissions", "resources", "blueprints", "menu_items", "report_widgets",
    "outbox_channels", "celery_tasks", "beat_schedule", "approval_subjects"))


@hookimpl
def crm_roles() -> list[RoleSpec]:
    # Adds to the kernel's roles of the same names (admin holds "*"); the sync adds the
    # campaign scope to a role that has no row for the kind yet.
    consent_all = ("marketing.consent.view", "marketing.consent.create",
                   "marketing.consent.export")
    send = "marketing.campaign.send"
    return [RoleSpec("manager", "Manager", (*_grants(CAMPAIGN), *consent_all, send)),
            RoleSpec("marketing", "Marketer",
                     (*_grants(("view", "create", "edit")), *consent_all, send), SCOPES),
            RoleSpec("viewer", "Viewer", (*_grants(("view",)), "marketing.consent.view"))]


@hookimpl
def crm_startup(app: Any) -> None:
    # pixel and click hits answered before the app's request handling (tracking/fast.py)
    from .tracking.fast import install

    install(app)


@hookimpl
def crm_approval_decided(approval_id: int, subject_kind: str, subject_id: int, status: str,
                         comment: str) -> None:
    from .resource import on_approval_decided

    on_approval_decided(approval_id, subject_kind, subject_id, status, comment)


# -- sales' hooks (optional: marketing works without sales) --------------------------------


@hookimpl(optionalhook=True)
def sales_opportunity_campaign(opportunity_id: int, customer_id: int,
                               source: str) -> int | None:
    from .responses.service import campaign_of_customer

    return campaign_of_customer(customer_id)


@hookimpl(optionalhook=True)
def order_confirmed(order_id: int) -> None:
    from .evaluation.totals import on_order_event

    on_order_event(order_id)


@hookimpl(optionalhook=True)
def order_cancelled(order_id: int) -> None:
    from .evaluation.totals import on_order_event

    on_order_event(order_id)


@hookimpl(optionalhook=True)
def opportunity_stage_changed(opportunity_id: int) -> None:
    from .evaluation.totals import on_opportunity_event

    on_opportunity_event(opportunity_id)


# -- kernel hooks one module answers (personal data requests: PIPL, see privacy.py) -------

globals().update(_PARTS.answer("privacy", privacy_export="export", privacy_erase="erase"))
globals().update(_PARTS.answer("sensitive", sensitive_fields="sensitive_fields"))


# -- the customers plugin's hooks (the 360° page) --------------------------------------

globals().update(_PARTS.forward("customer_panels", specs=customer_hooks))
