"""The hooks the analytics plugin offers to other plugins.

Implement them in your ``plugin.py`` with ``@hookimpl(optionalhook=True)`` so that your plugin
works without analytics; put the description in a module of your own (``analytics_facts.py``)
that your hookimpl imports lazily. See docs/analytics.md, "Describing facts".
"""

from __future__ import annotations

from typing import Any

from crm_core.toolkit import hookspec


@hookspec
def crm_analytics_sources() -> list[dict[str, Any]]:
    """The sources of facts this plugin offers to analysis: a list of plain dicts, each

    - ``id`` (``"<plugin>.<records>"``, e.g. ``"sales.orders"``), ``label`` (lazy text);
    - ``table``: the model (or a SQLAlchemy join of models) the rows come from;
    - ``scope_model``: the model in ``table`` that declares ``DataScope``: its owner and
      department columns decide whose figures a row is, and ``toolkit.scoped`` limits every
      query to the reader's scope;
    - ``date``: the stored UTC time a row counts on (months, weeks and days are derived from
      it in the company's time zone);
    - ``where``: conditions every row must meet (not deleted, confirmed...);
    - ``measures``: dicts with ``id``, ``label``, ``kind`` (``count``, ``sum``, ``avg``),
      ``expr`` (an integer SQL expression; not for ``count``), ``divisor`` and ``places``
      (money in fen: 100 and 2), ``unit``;
    - ``dimensions``: dicts with ``id``, ``label``, ``expr`` (a SQL expression), ``kind``
      (``choice`` with ``choices`` ``{value: label}``, ``user``, ``department``, ``labels``
      with a ``labels(session, values) -> {value: label}`` function, or ``text``);
    - optionally ``key`` and ``events`` (the record id column and ``{event hook: argument
      holding that id}``: the rollups of the record's day and month are recomputed when the
      event fires) and ``pairs`` (pairs of dimension ids, not the owner or department,
      rolled up together per month: a two-dimension query of a pair is read from them).

    Called once per app, inside the app context; build the expressions from your own models.
    """


@hookspec
def crm_analytics_purchases() -> list[dict[str, Any]]:
    """Your customers' purchases, for customer value (RFM) and churn risk: a list of plain
    dicts, each

    - ``id`` (``"<plugin>.<records>"``) and ``label`` (lazy text);
    - ``rows``: a SQLAlchemy ``Select`` of one row per purchase with exactly the labelled
      columns ``customer_id``, ``at`` (the stored UTC time or the date of the purchase) and
      ``amount`` (an integer, fen), leaving out what does not count (drafts, cancelled,
      deleted records, customers in the trash);
    - ``customer``: the customers model (declaring ``DataScope``) whose ``id`` is
      ``customer_id``: its owner and department decide who sees a customer's value;
    - ``name``: that model's name column; ``endpoint``: the customer page's endpoint
      (``"customers.detail"``, taking ``customer_id``).

    Analytics reads every plugin's rows together (``UNION ALL``) in SQL, never one by one:
    do not offer rows another plugin already counts (a payment for an order counted as a
    purchase). Called once per app, inside the app context.
    """


@hookspec(firstresult=True)
def crm_analytics_apply_tag(customer_ids: list[int], tag_name: str, user: Any) -> int | None:
    """Put the tag ``tag_name`` (created when missing) on the customers ``customer_ids``
    on behalf of ``user``, who must be allowed to edit those customers; return how many
    got it newly (None: no plugin keeps tags). Raise ``DomainError`` with a message the
    user understands when it cannot be done. The caller commits.
    """
