"""``toolkit.Resource``: one declaration of a model's list, form, detail, API and export.

A plugin returns ``Resource`` instances from its ``crm_resources()`` hook; the kernel builds
from each a blueprint of HTML pages at ``/<plugin>/<name>`` and one of API routes at
``/api/v1/<plugin>/<name>``, the permissions it names, a menu entry and an export job. What
is not declared is derived from the model: labels from field names, form validators from
column types and lengths, the API schema from the columns.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import inspect

ACTIONS = ("view", "create", "edit", "delete", "export", "import")
FilterKind = Literal["choice", "range", "date_range", "relation", "tag"]
PRESET_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")


@dataclass(frozen=True)
class Field:
    """One field of the model as the pages show it.

    - ``label``: translatable text (``lazy_gettext``); default: the name, capitalised.
    - ``choices``: ``(value, label)`` pairs; the form offers a select, the list the label.
    - ``relation``: a model whose rows the field's id names, or ``"user"`` for the kernel's
      users (``owner_id``); ``relation_label`` is the attribute shown. The names of a
      page are loaded in one statement per relation, never one per row.
    - ``form``: whether create/edit forms offer it; ``textarea`` for long text;
      ``validators`` are added to the ones derived from the column; ``description`` is the
      help text under the input.
    - ``format``: how pages show a value (``format(value) -> str``, e.g. an amount in yuan).
    - ``colour``: the value is a ``#rrggbb`` colour: pages show a swatch beside it, the form
      a colour picker, the API refuses anything else.
    """

    name: str
    label: Any = None
    choices: Sequence[tuple[Any, Any]] | None = None
    relation: type | str | None = None
    relation_label: str = "name"
    form: bool = True
    textarea: bool = False
    validators: Sequence[Any] = ()
    description: Any = ""
    format: Callable[[Any], str] | None = None
    colour: bool = False

    def title(self) -> Any:
        """The label to show: the declared one or the name made readable."""
        return self.label if self.label is not None else self.name.replace("_", " ").capitalize()


@dataclass(frozen=True)
class Filter:
    """A filter of the list and of the API list: ``kind`` is one of

    - ``choice``: equal to one of the field's ``choices`` (``?status=open``);
    - ``range``: ``?<name>_min=`` / ``?<name>_max=`` numbers, inclusive; ``parse(text)``
      turns what the user typed into the column's value instead (yuan typed, fen stored:
      ``"50,000.50"`` → ``5000050``) and raises ``ValueError`` to refuse it, its message
      (translated) shown beside the input; the inputs then take text, not only numbers;
    - ``date_range``: ``?<name>_from=`` / ``?<name>_to=`` days (UTC), inclusive;
    - ``relation``: equal to an id of the field's ``relation`` (``?owner_id=3``);
    - ``tag``: records linked to a tag id through ``through``, a ``(link model, record
      column, tag column)`` triple (``?tag=5``); ``options(session)`` returns the tags'
      ``(id, name)`` pairs for the select.
    """

    name: str
    kind: FilterKind
    label: Any = None
    through: tuple[type, str, str] | None = None
    options: Callable[..., Any] | None = None
    parse: Callable[[str], Any] | None = None

    def title(self, resource: Resource) -> Any:
        """The filter's label: the declared one, else its field's."""
        if self.label is not None:
            return self.label
        return resource.column_label(self.name)


@dataclass(frozen=True)
class Preset:
    """A named view of the list (a queue: "mine", "unassigned"...), shown as a tab above it
    with its count and chosen by ``?view=<name>`` on the page, its count, its export and
    the API list, together with the other filters (keyset pages kept).

    ``condition(user)`` returns the SQL condition the preset adds for the reading user (the
    data scope still applies). ``sort`` is the list's sort (``"-updated_at"``) while the
    preset is chosen and no other is asked for. ``name`` is lower-case letters, digits and
    ``_``; ``all`` is the tab without a preset.
    """

    name: str
    label: Any
    condition: Callable[[Any], Any]
    sort: str | None = None


@dataclass(frozen=True)
class Computed:
    """A read-only column worked out for a page of records: a usage count, a range.

    ``values(session, records)`` returns ``{record id: value}`` for the page's records (one
    statement for the whole page, never one per row); ``label`` is the heading, ``format``
    turns a value into text. Name it in ``columns`` to show it on the list; it is neither
    sorted, filtered, exported nor offered by the API.
    """

    name: str
    label: Any
    values: Callable[..., Mapping[Any, Any]]
    format: Callable[[Any], str] | None = None


@dataclass(frozen=True)
class BulkAction:
    """An action on the ticked records of the list (after a confirmation naming how many).

    ``run(session, records, user)`` changes the records (already limited to the user's
    scope) and returns how many it changed; ``permission`` is an action name of the resource
    (``"edit"``) or a full permission name. ``delete`` is built in.
    """

    name: str
    label: Any
    run: Callable[..., int]
    permission: str = "edit"


@dataclass(frozen=True)
class Section:
    """A titled group of fields on the detail page."""

    title: Any
    fields: Sequence[str]


@dataclass(frozen=True)
class Panel:
    """A box of the detail page drawn by a template: ``template`` is rendered with
    ``record``, ``resource`` and whatever ``context(record)`` returns."""

    title: Any
    template: str
    context: Callable[[Any], Mapping[str, Any]] | None = None


@dataclass
class Resource:
    """A model's pages, API and export, declared once (see docs/plugins.md, "Resources").

    Only ``model``, ``name``, ``label`` and ``fields`` are needed; ``columns`` default to the
    first four fields, sorts to none but the id, the form to every ``form`` field, the detail
    page to one section of every field, export to the list's fields. Soft delete is used when
    the model has a ``deleted_at`` column (``soft_delete=None`` to turn it off).
    ``permissions`` overrides the name per action (default ``<plugin>.<object>.<action>``,
    the object being the table name without the plugin prefix); ``actions`` are the actions
    offered. ``create``/``update``/``delete`` replace the kernel's writes with the plugin's
    service functions: ``create(session, values, user)``, ``update(session, record, values,
    user)``, ``delete(session, record, user)``. ``templates`` replaces a page's template
    (``"list"``, ``"detail"``, ``"form"``, ``"confirm"``); each generated template has blocks
    to extend instead. ``presets`` are the list's named views (tabs with counts);
    ``default_preset`` names the one the page opens on (or ``default_preset(user)`` does;
    None: all records).
    """

    model: type
    name: str
    label: Any
    fields: Sequence[Field]
    label_one: Any = None
    title_field: str | None = None
    columns: Sequence[str] | None = None
    filters: Sequence[Filter] = ()
    sorts: Sequence[str] = ()
    default_sort: str = "-id"
    search: Sequence[str] = ()
    form_fields: Sequence[str] | None = None
    sections: Sequence[Section] | None = None
    panels: Sequence[Panel] = ()
    history: bool = True
    permissions: Mapping[str, str] = field(default_factory=dict)
    actions: Sequence[str] = ACTIONS
    bulk_actions: Sequence[BulkAction] = ()
    export_columns: Sequence[str] | None = None
    import_spec: Any = None
    api: bool = True
    api_overrides: Mapping[str, Any] = field(default_factory=dict)
    form_class: type | None = None
    create: Callable[..., Any] | None = None
    update: Callable[..., Any] | None = None
    delete: Callable[..., Any] | None = None
    computed: Sequence[Computed] = ()
    order_field: str | None = None
    move: Callable[..., Any] | None = None
    delete_notice: Callable[..., str] | None = None
    soft_delete: str | None = "deleted_at"
    menu: bool = True
    icon: str = "table"
    order: int = 500
    parent: str | None = None
    templates: Mapping[str, str] = field(default_factory=dict)
    page_size: int = 50
    presets: Sequence[Preset] = ()
    default_preset: str | Callable[[Any], str | None] | None = None
    plugin: str = ""

    def __post_init__(self) -> None:
        self.fields = tuple(self.fields)
        names = [item.name for item in self.fields]
        if len(set(names)) != len(names):
            raise ValueError(f"resource {self.name!r}: a field is declared twice")
        columns = inspect(self.model).columns
        self.computed = tuple(self.computed)
        if {item.name for item in self.computed} & {"id", *names}:
            raise ValueError(f"resource {self.name!r}: a computed column has a field's name")
        ordering = [self.order_field] if self.order_field else []
        for name in [*names, *self.sorts, *self.search, *ordering,
                     *(item.name for item in self.filters if item.kind != "tag")]:
            if name not in columns:
                raise ValueError(f"resource {self.name!r}: {name!r} is not a column of "
                                 f"{self.model.__name__}")
        self.presets = tuple(self.presets)
        self._check_presets()
        if self.soft_delete and self.soft_delete not in columns:
            self.soft_delete = None
        self.title_field = self.title_field or names[0]

    def _check_presets(self) -> None:
        names = [item.name for item in self.presets]
        for item in self.presets:
            if not PRESET_NAME.fullmatch(item.name) or item.name == "all" \
                    or names.count(item.name) > 1:
                raise ValueError(f"resource {self.name!r}: preset name {item.name!r} is not "
                                 "lower-case letters, digits and _, is 'all' or is taken")
            if item.sort and item.sort.lstrip("-") not in ("id", *self.sorts):
                raise ValueError(f"resource {self.name!r}: preset {item.name!r} sorts by "
                                 f"{item.sort!r}, which is not among its sorts")
        if isinstance(self.default_preset, str) and self.default_preset not in names:
            raise ValueError(f"resource {self.name!r}: no preset {self.default_preset!r}")

    def preset(self, name: Any) -> Preset | None:
        """The preset called ``name``, or None."""
        return next((item for item in self.presets if item.name == name), None)

    # -- names derived from the declaration --------------------------------------------------

    @property
    def object(self) -> str:
        """The table name without the plugin prefix (``example_note`` → ``note``)."""
        table = self.model.__table__.name  # type: ignore[attr-defined]
        prefix = f"{self.plugin}_"
        return table[len(prefix):] if table.startswith(prefix) else table

    @property
    def key(self) -> str:
        """``<plugin>.<name>``: the resource's id (saved views, export jobs)."""
        return f"{self.plugin}.{self.name}"

    @property
    def endpoint(self) -> str:
        """The HTML blueprint's name (``example_notes``); the API's adds ``_api``."""
        return f"{self.plugin}_{self.name}"

    @property
    def id_arg(self) -> str:
        """The URL variable of a record id: ``<object>_id`` (``note_id``)."""
        return f"{self.object}_id"

    @property
    def export_task(self) -> str:
        """The export job's task name without the plugin prefix (``export_notes``)."""
        return f"export_{self.name}"

    def permission(self, action: str) -> str:
        """The permission name of ``action`` (a full name is returned as it is)."""
        if "." in action:
            return action
        return self.permissions.get(action, f"{self.plugin}.{self.object}.{action}")

    def offers(self, action: str) -> bool:
        """Whether the resource offers ``action`` (``"create"``, ``"export"``...)."""
        return action in self.actions

    def field(self, name: str) -> Field:
        """The declared field ``name``."""
        for item in self.fields:
            if item.name == name:
                return item
        raise KeyError(name)

    def list_columns(self) -> list[str]:
        """The list's columns: the declared ones, else the first four fields."""
        return list(self.columns or [item.name for item in self.fields[:4]])

    def column_names(self) -> list[str]:
        """Every column the list may show: the id, the fields, the computed columns."""
        return ["id", *(item.name for item in self.fields),
                *(item.name for item in self.computed)]

    def computed_column(self, name: str) -> Computed | None:
        """The computed column ``name``, or None."""
        return next((item for item in self.computed if item.name == name), None)

    def computed_values(self, session: Any, records: Sequence[Any],
                        columns: Sequence[str]) -> dict[str, dict[Any, Any]]:
        """``{column: {id: value}}`` of the computed columns among ``columns``."""
        return {item.name: dict(item.values(session, list(records)) if records else {})
                for item in self.computed if item.name in columns}

    def editable(self) -> list[Field]:
        names = self.form_fields
        if names is None:
            return [item for item in self.fields if item.form]
        return [self.field(name) for name in names]

    def detail_sections(self) -> list[Section]:
        if self.sections is not None:
            return list(self.sections)
        return [Section(self.label_one or self.label, [item.name for item in self.fields])]

    def exported(self) -> list[str]:
        return list(self.export_columns or ["id", *(item.name for item in self.fields)])

    def column_label(self, name: str) -> Any:
        if name == "id":
            return "ID"
        if (computed := self.computed_column(name)) is not None:
            return computed.label
        try:
            return self.field(name).title()
        except KeyError:
            return Field(name).title()

    def template(self, page: str) -> str:
        return self.templates.get(page, f"core/resources/{page}.html")
