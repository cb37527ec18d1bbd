"""The hooks the sales plugin offers to other plugins.

Events are called inside the unit of work that made the change, after the flush and before
commit, with keyword arguments only and ids, never ORM objects. A listener may write in the
same session (its writes commit or roll back with the change); a listener that raises is
logged and skipped and never stops the save (``toolkit.emit``). Implement them in your
``plugin.py`` with ``@hookimpl(optionalhook=True)`` so that your plugin works without sales.
Amounts are integer fen.
"""

from __future__ import annotations

from typing import Any

from crm_core.toolkit import hookspec


@hookspec
def opportunity_stage_changed(opportunity_id: int, from_stage_id: int | None,
                              to_stage_id: int, user_id: int | None) -> None:
    """An opportunity entered another stage (``from_stage_id`` None: it was just created)."""


@hookspec
def opportunity_won(opportunity_id: int, amount: int, customer_id: int) -> None:
    """An opportunity entered a won stage."""


@hookspec
def opportunity_lost(opportunity_id: int, reason: str, customer_id: int) -> None:
    """An opportunity entered a lost stage; ``reason`` is its lost reason."""


@hookspec
def order_confirmed(order_id: int, customer_id: int, total_amount: int) -> None:
    """An order was confirmed (its amounts are final)."""


@hookspec
def order_cancelled(order_id: int, customer_id: int, total_amount: int,
                    was_confirmed: bool) -> None:
    """An order was cancelled; ``was_confirmed`` says whether it had been confirmed."""


@hookspec
def contract_activated(contract_id: int, customer_id: int, amount: int) -> None:
    """A contract became active (approved, or no approval was needed)."""


@hookspec
def payment_received(payment_id: int, contract_id: int, customer_id: int,
                     amount: int) -> None:
    """A payment was recorded against a contract."""


@hookspec(firstresult=True)
def sales_opportunity_campaign(opportunity_id: int, customer_id: int,
                               source: str) -> int | None:
    """The campaign that produced a new opportunity, or None; marketing answers it so that
    sales never imports marketing (first answer wins)."""


@hookspec
def crm_sales_opportunity_panels(opportunity_id: int, user: Any) -> list[Any]:
    """Panels for the opportunity page that ``user`` may see, in the shape of
    ``crm_customer_panels`` (``{"id", "title", "html", "order"}``)."""


@hookspec
def crm_sales_order_panels(order_id: int, user: Any) -> list[Any]:
    """Panels for the order page that ``user`` may see, in the shape of
    ``crm_customer_panels``: ``{"id", "title", "html", "order"}`` (``html`` is trusted
    markup the plugin escaped; lower ``order`` first). The page shows them under the lines;
    a plugin that raises is logged and left out, the page still opens."""


@hookspec
def sales_product_locked_fields(product_id: int) -> list[str]:
    """The fields of product ``product_id`` that another system owns (the ERP bridge: the
    fields its pulls set while the ERP wins), or an empty list. A change to one of them
    from a page, the API or ``update_product`` is refused under the field's name; the owner
    writes them through ``services.sync_product``."""
