"""Every platform hook. Each docstring is that hook's reference (see docs/plugins.md).

Implement a hook in your plugin's ``plugin.py`` with ``@hookimpl`` from ``crm_core.toolkit``.
Hooks are called with keyword arguments only, so an implementation may accept just the
arguments it needs. List-returning hooks are collected per plugin; the kernel knows which
plugin registered what (``crm plugins list`` counts them).
"""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("crm")
#: Marks a plugin's hook implementations (``crm_core.toolkit`` exports it).
hookimpl = pluggy.HookimplMarker("crm")


@hookspec
def crm_add_hookspecs(pm: pluggy.PluginManager) -> None:
    """Add the hooks this plugin offers to other plugins.

    A plugin that owns a concept (customers owns ``customer_created``) declares those hooks in
    its own ``hookspecs.py`` and adds them here: ``pm.add_hookspecs(hookspecs)``. Called once,
    after every enabled plugin is registered and before unknown hooks are checked, so a plugin
    may implement a hook offered by a plugin it ``requires``.
    """


@hookspec
def crm_models() -> list[type]:
    """Return the SQLAlchemy model classes this plugin owns.

    Each model derives from ``toolkit.Model``; its table name starts with the plugin's name
    (``customers_customer``). Listing them lets the kernel count them, keep ``crm db check``
    to the enabled plugins' tables and, later, audit and scope them. Schema changes ship as
    Alembic migrations in the plugin's ``migrations/versions/``.
    """


@hookspec
def crm_permissions() -> list[Any]:
    """Return ``toolkit.Permission`` specs: name ``<plugin>.<object>.<verb>``, label, group.

    Permissions are written to the database by ``crm db upgrade`` and ``crm sync-permissions``
    (add-only), never when a worker boots. A duplicate name is a startup error naming both
    plugins.
    """


@hookspec
def crm_roles() -> list[Any]:
    """Return ``toolkit.RoleSpec`` default roles and the permissions they grant.

    Two plugins may name the same role (``sales``); their grants are merged. The admin role
    is granted every permission.
    """


@hookspec
def crm_blueprints() -> list[Any]:
    """Return Flask blueprints with this plugin's HTML pages and API routes.

    Name each blueprint after the plugin; keep templates in ``templates/<plugin>/``. Put API
    routes under ``/api/v1/``. Guard every view with ``toolkit.require_permission`` (or mark it
    ``toolkit.public``): in strict mode an unguarded route stops the app.
    """


@hookspec
def crm_menu_items() -> list[Any]:
    """Return ``toolkit.MenuItem`` entries for the sidebar (label, endpoint, icon, permission).

    Items are sorted by ``order``, then label; an item with ``parent`` nests under that id.
    A user sees only the items whose permission they hold.
    """


@hookspec
def crm_report_widgets() -> list[Any]:
    """Return ``toolkit.ReportWidget`` dashboard widgets (id, title, chart kind, data function).

    ``data()`` returns a JSON-able dict the dashboard draws (bar, pie, line, number, table).
    It is called per view, so it must read precomputed aggregates, not scan big tables.
    """


@hookspec
def crm_celery_tasks(celery: Any) -> list[Any]:
    """Return ``toolkit.TaskSpec`` background tasks; the kernel registers each with Celery.

    The task's name is ``<plugin>.<spec.name>`` and it runs inside an app context. With
    ``job=True`` the function gets a ``job`` argument to report progress. ``celery`` is the
    Celery app, for plugins that need it (signals); most ignore it.
    """


@hookspec
def crm_beat_schedule() -> list[Any]:
    """Return ``toolkit.ScheduleEntry`` periodic runs of registered tasks for ``crm beat``."""


@hookspec
def crm_cli_commands() -> list[Any]:
    """Return click commands or groups added under ``crm`` (e.g. a ``customers`` group).

    Commands run inside an app context. A name already taken is a startup error.
    """


@hookspec
def crm_search(query: str, user: Any, limit: int) -> list[Any]:
    """Return up to ``limit`` ``toolkit.SearchHit`` results for the global search box.

    Apply the user's data scope: never return a record the user may not open.
    """


@hookspec
def crm_demo_data(size: int, session: Any) -> None:
    """Fill this plugin's tables with ``size`` realistic demo records for ``crm seed``.

    ``size`` is ``crm seed --<plugin> N`` for this plugin, else ``--size`` (default 100); a
    plugin whose size is 0 is not called. Called in dependency order, so a plugin can rely on
    its requirements' demo data. Add and flush; the command commits at the end. A plugin
    adding many thousands of rows may commit in batches itself (and print a progress line
    to stderr) rather than hold them all in one transaction. It runs in the seed's language
    (``crm seed --language``, default ``CRM_DEMO_LANGUAGE``): take the demo data's words from
    ``gettext`` so they are in that language.
    """


@hookspec
def crm_resources() -> list[Any]:
    """Return ``toolkit.Resource`` declarations: a model's list, forms, detail page, API and
    export, declared once.

    For each, the kernel serves the pages at ``/<plugin>/<name>`` and the API at
    ``/api/v1/<plugin>/<name>``, and registers as this plugin's own its menu entry, the
    permissions of its actions (unless the plugin declares them) and its export job task
    ``<plugin>.export_<name>``. See "Resources" in docs/plugins.md.
    """


@hookspec
def crm_startup(app: Any) -> None:
    """Called last in ``create_app``, once every plugin is registered. Do no database work
    here: the factory also runs for the CLI and migrations on an empty database."""


@hookspec
def crm_login_options() -> list[Any]:
    """Return other ways to sign in, shown as buttons under the login form:
    ``[{"label": "Sign in with DingTalk", "url": "/oa/signin/dt", "icon": "chat-dots"}]``.

    ``url`` must be a path on this site (the plugin's own public route, which then sends the
    browser on to the identity provider); an absolute or scheme-relative URL is left out,
    and so is an item without a label. ``icon`` is an optional Bootstrap Icons name. The
    hook is called on every view of the login page, by an anonymous visitor: answer from a
    cheap query, translate the label (``gettext``) and offer only what is set up and
    enabled. A plugin that raises is logged and its options are left out.
    """


@hookspec
def crm_outbox_channels() -> list[Any]:
    """Return ``toolkit.OutboxChannel`` specs: ways out of the process for outbox messages.

    ``OutboxChannel(name, deliver)``: ``deliver(payload, message)`` sends one message and
    raises when it did not get through; the outbox then retries with exponential backoff
    and jitter, and after ``CRM_OUTBOX_MAX_ATTEMPTS`` tries the message is dead until an
    administrator replays it. ``message`` (a ``toolkit.OutboxDelivery``) carries the
    ``idempotency_key``: pass it on so the receiver can drop a repeat (delivery is at least
    once). Optional ``validate(payload)`` refuses a payload at ``enqueue``; ``ready()``
    returns why the channel cannot deliver now (missing settings), keeping its messages
    pending without spending tries. The kernel's channel is ``mail``. A name registered
    twice stops the app, naming both plugins.
    """


@hookspec
def crm_notification_kinds() -> list[Any]:
    """Return ``toolkit.NotificationKind`` specs: the kinds of notification this plugin sends.

    Each has a name (``<plugin>.<kind>``; the kernel's are bare, like ``system``), a label
    users see on their notification settings page, and ``default_channels``: the channels
    used for a user who has not chosen any for the kind. Send one with ``toolkit.notify``.
    A duplicate name is a startup error naming both plugins.
    """


@hookspec
def crm_notification_channels() -> list[Any]:
    """Return ``toolkit.NotificationChannel`` specs: ways a notification reaches its user.

    ``deliver(notification, user, session)`` runs in the sender's transaction for every
    recipient who chose the channel; it writes an outbox message rather than calling out
    itself, so nothing leaves before commit. The kernel's are ``in_app`` (the notification
    centre) and ``email``; the OA bridge adds DingTalk, WeCom or Feishu this way. A failing
    ``deliver`` is logged and never breaks the sender's save.
    """


@hookspec
def crm_notification_sent(kind: str, title: str, body: str, link: str | None,
                          notification_ids: list[int], session: Any) -> None:
    """Called once per ``toolkit.notify`` call, after its notifications are written, in the
    sender's transaction: a plugin that posts a notification kind somewhere shared (the OA
    bridge's group robots) writes its outbox message here, once, not once per recipient.

    ``title`` and ``body`` are as the sender gave them, in the sender's language;
    ``notification_ids`` may be empty (no recipient chose any channel). A raising listener is
    logged and never breaks the sender's save.
    """


@hookspec
def crm_approval_subjects() -> list[Any]:
    """Return ``toolkit.ApprovalSubject`` specs: the kinds of record this plugin asks
    approval for (``ApprovalSubject("sales.contract", _l("Contract"), Contract,
    url_for_subject)``).

    The admin page offers these kinds to approval definitions. ``model`` lets the kernel see
    that a subject was deleted (the approval is then closed with a reason);
    ``url_for_subject(id)`` links the inbox to the record.
    """


@hookspec
def crm_approval_conditions() -> list[Any]:
    """Return ``toolkit.ApprovalCondition`` specs: conditions an admin may pick for a
    definition of one subject kind, besides the amount threshold.

    ``check(subject_id=..., amount=...)`` (accept only what you need) says whether the
    condition holds for one request; it runs inside ``request_approval``.
    """


@hookspec
def crm_approval_requested(approval_id: int, subject_kind: str, subject_id: int, status: str,
                           requester_id: int | None, provider: str | None) -> None:
    """An approval was requested (``toolkit.request_approval``), inside the requester's unit
    of work. ``provider`` names the plugin that took it over, or is None (people decide in
    the web UI). A listener that raises is logged and skipped."""


@hookspec
def crm_approval_decided(approval_id: int, subject_kind: str, subject_id: int, status: str,
                         comment: str, reason: str) -> None:
    """An approval ended: ``status`` is ``approved``, ``rejected``, ``withdrawn`` or
    ``closed`` (its record was deleted; ``reason`` says so). Called inside the deciding unit
    of work, so the subject's plugin can change its record in the same transaction (mark the
    contract approved). A listener that raises is logged and skipped."""


@hookspec(firstresult=True)
def crm_approval_provider(approval_id: int, subject_kind: str, subject_id: int, title: str,
                          details: str, amount: Any, requester_id: int | None) -> Any:
    """Take an approval over (an OA plugin): return a truthy handle (the OA system's id) and
    the kernel opens no step in the web UI; return None to let people decide here.

    The first plugin answering wins. Send the request out through the outbox, and when the
    OA system calls back, call ``toolkit.decide_from_provider(approval_id, approved,
    comment, decided_by)``.
    """


@hookspec
def crm_attachment_kinds() -> list[Any]:
    """Return ``toolkit.AttachmentKind`` entries: the kinds of record files can be attached
    to (``AttachmentKind("customers.customer", Customer, "customers.customer.view",
    "customers.customer.edit")``).

    A kind starts with the plugin's name and is registered once (else startup stops, naming
    both plugins). Every path to a file checks the record: the kind's view permission (edit
    permission to upload or delete) and the user's data scope on ``model``; a file of a
    record the user may not see answers 404. Show the files on the record's page with
    ``{{ crm_attachments(kind, record.id) }}``.
    """


@hookspec
def crm_import_specs() -> list[Any]:
    """Return ``toolkit.ImportSpec`` declarations: records of this plugin that can be
    imported from CSV or XLSX (and exported).

    For each spec the kernel mounts the import wizard at ``/imports/<spec id>/`` (upload,
    mapping guessed from Chinese or English headers, check, run, bad-rows file, undo), runs
    its steps as jobs (``core.tabular_import``) and adds ``crm <plugin> import|export`` to the
    plugin's command group (``toolkit.import_command(spec_id)`` for other names). A Resource
    that offers import needs no spec here (``resources.importing``). The spec's id is
    ``<plugin>.<thing>``; the pages need the permission ``<plugin>.<thing>.import``, which
    the plugin declares in ``crm_permissions``. An id taken twice stops the first page that
    reads the specs.
    """


@hookspec
def crm_privacy_locate(person: Any, session: Any) -> None:
    """Record which of this plugin's records are one person's, for a personal-data request
    (``crm privacy``, docs/OPERATIONS.md "Personal data (PIPL)").

    ``person`` (a ``toolkit.privacy.Person``) carries the normalised ``email`` and/or
    ``phone`` (E.164; ``person.phones`` lists the forms a stored number may take, and
    ``matches_email``/``matches_phone`` compare a stored value). Add what you find with
    ``person.add("<plugin>.<kind>", ids)`` so other plugins can follow it: customers adds
    ``customers.person`` (person customers), ``customers.company`` (companies listing the
    address) and ``customers.contact``. Called before every export and erasure, in plugin
    load order; read only.
    """


@hookspec
def crm_privacy_export(person: Any, session: Any) -> dict[str, list[dict[str, Any]]] | None:
    """Return what this plugin holds about ``person``: ``{section: [row, ...]}``, each row a
    JSON-able dict of the fields a person would recognise (``{"requests": [{"number": ...,
    "subject": ..., "received_at": ...}]}``). Empty sections are left out of the export.

    ``person.ids("customers.person")`` and the like give what plugins located
    (``crm_privacy_locate``). The kernel writes one JSON (or a zip with one JSON per plugin)
    and logs the export. Read only.
    """


@hookspec
def crm_privacy_erase(person: Any, erasure: Any, session: Any) -> dict[str, int] | None:
    """Anonymise or delete what this plugin holds about ``person`` and return how many rows
    each kind lost it (``{"requests": 2}``).

    Runs in one transaction with every other plugin's erasure: raise and nothing anywhere is
    erased. Write with ``toolkit.privacy.write(session, update(...))`` and
    ``toolkit.privacy.scrub_column`` rather than the ORM, so the operation log's automatic
    recording does not copy the erased values into new entries (the kernel logs the erasure
    once). Keep rows other records or the books need (orders, amounts); blank the person's
    name, e-mail, phone and free text about them (``toolkit.privacy.ERASED``;
    ``erasure.placeholder_email(row_id)`` where a column must stay unique). Keep your own
    search index in step. ``erasure.note(text)`` tells the operator what must be done
    elsewhere (a copy in the ERP).
    """


@hookspec
def crm_help_pages() -> list[Any]:
    """Return ``toolkit.HelpPage`` entries: pages of the staff manual this plugin ships,
    served at ``/help/<id>`` to any signed-in user.

    ``HelpPage(id="<plugin>.<name>", folder=Path(__file__).parent / "manual",
    file="<name>.md", endpoints={"<blueprint>": "<heading id>"})``: the page is Markdown in
    ``<folder>/zh_CN/<file>`` and ``<folder>/en/<file>`` (the user's language, else Chinese,
    else English), its images in ``<folder>/img/``. ``endpoints`` maps an endpoint or a whole
    blueprint of the plugin to the section about it (``## Notes {#notes}``), so the header's
    "?" link on those pages opens it. Markdown only: raw HTML is dropped.
    """


@hookspec
def crm_sensitive_fields() -> list[Any]:
    """Return ``toolkit.SensitiveFields`` declarations: per kind of record, which fields
    hold personal data and what kind each is (``phone``, ``email``, ``id_card``,
    ``bank_account``, ``address``):
    ``SensitiveFields("customers.customer", {"phones": "phone", "emails": "email"},
    model=Customer, label=_l("Customers"))``.

    For each kind the kernel registers ``<kind>.view_sensitive`` (clear values; granted by
    default to managers, and to administrators through ``*``) and
    ``<kind>.reveal_sensitive`` (one value at a time through the reveal button, each
    reveal written to the operation log; granted to sales reps and service agents). Users
    without ``view_sensitive`` see ``139****5678`` and ``z***@example.com`` on the
    generated Resource pages, API and exports; a plugin's own pages, API answers, files and
    search hits mask with ``toolkit.sensitive.mask_value`` / ``mask_record`` / ``mask_rows``
    and its forms keep masks from being saved with ``toolkit.sensitive.protect_form``. A
    kind is declared once (else startup stops, naming both plugins). See "Sensitive fields" in
    docs/plugins.md.
    """
