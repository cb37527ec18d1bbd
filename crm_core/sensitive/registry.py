"""What plugins declare through ``crm_sensitive_fields``, and the permissions and default
grants the kernel derives from it.

For each declared kind (``customers.customer``) the kernel registers, as the declaring
plugin's own, ``<kind>.view_sensitive`` (see every value in clear; granted by default to
the roles in ``SensitiveFields.roles``: managers, administrators hold ``*``) and
``<kind>.reveal_sensitive`` (reveal one value at a time, logged; ``reveal_roles``: sales
reps and service agents). A plugin that declares a permission of the same name itself keeps
its own declaration.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import RegistryError
from ..registry import Permission, RoleSpec
from .masks import KINDS, masker

__all__ = ["SensitiveFields", "declarations", "declared", "derived"]

DERIVED_HOOKS = ("crm_permissions", "crm_roles")


def N_(message: str) -> str:
    """Mark ``message`` for translation (``SensitiveLabel`` translates it when shown)."""
    return message


#: The permission labels, ``%(records)s`` being the declaration's label in lower case.
TEXTS = {"view_sensitive": N_("See sensitive fields of %(records)s in clear"),
         "reveal_sensitive": N_("Reveal one masked value of %(records)s (logged)")}
ROLE_LABELS = {"admin": N_("Administrator"), "manager": N_("Manager"),
               "sales": N_("Sales rep"), "service": N_("Service agent"),
               "marketing": N_("Marketer"), "viewer": N_("Viewer")}


@dataclass(frozen=True)
class SensitiveFields:
    """The sensitive fields of one kind of record, returned from ``crm_sensitive_fields``.

    ``kind`` is ``<plugin>.<object>`` (``customers.customer``); ``fields`` maps an attribute
    (or API/dict key) to its kind of value: ``phone``, ``email``, ``id_card``,
    ``bank_account`` or ``address``. A list value (several phones) is masked item by item.
    ``model`` is the record's model class: the reveal button reads the record through the
    user's data scope; ``view_permission`` is the record's view permission (default
    ``<kind>.view``). ``permission_kind`` lets a kind follow another kind's permissions
    (contacts follow their customer: ``"customers.customer"``): no permissions of its own
    are registered then. ``roles`` get ``view_sensitive`` by default, ``reveal_roles``
    ``reveal_sensitive``. ``value(record, field)`` reads a stored value when it is not a
    plain attribute. ``audit`` names other tables whose columns hold these values, for the
    operation log's pages (``{"customers_customer_phone": {"number": "phone"}}``); the
    model's own columns among ``fields`` are masked there anyway.
    """

    kind: str
    fields: Mapping[str, str]
    model: type | None = None
    label: Any = ""
    view_permission: str = ""
    permission_kind: str = ""
    roles: tuple[str, ...] = ("manager",)
    reveal_roles: tuple[str, ...] = ("sales", "service")
    value: Callable[[Any, str], Any] | None = None
    audit: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    #: ``(field, its mask)`` of each field, set from ``fields``: what masks each row
    maskers: tuple[tuple[str, Callable[[Any], Any]], ...] = field(
        init=False, repr=False, compare=False, default=())

    def __post_init__(self) -> None:
        for name, kind in [*self.fields.items(),
                           *(item for columns in self.audit.values() for item in columns.items())]:
            if kind not in KINDS:
                raise RegistryError(f"sensitive field {self.kind}.{name}: kind {kind!r} is not "
                                    f"one of {', '.join(KINDS)}")
        object.__setattr__(self, "fields", dict(self.fields))
        object.__setattr__(self, "maskers", tuple(
            (name, masker(kind)) for name, kind in self.fields.items()))
        object.__setattr__(self, "roles", tuple(self.roles))
        object.__setattr__(self, "reveal_roles", tuple(self.reveal_roles))

    @property
    def owner_kind(self) -> str:
        """The kind whose permissions govern these fields."""
        return self.permission_kind or self.kind

    @property
    def view_sensitive(self) -> str:
        """``<kind>.view_sensitive``: clear values everywhere."""
        return f"{self.owner_kind}.view_sensitive"

    @property
    def reveal_sensitive(self) -> str:
        """``<kind>.reveal_sensitive``: one value at a time, through the reveal button."""
        return f"{self.owner_kind}.reveal_sensitive"

    @property
    def record_permission(self) -> str:
        """The permission to see the record at all."""
        return self.view_permission or f"{self.kind}.view"

    def read(self, record: Any, name: str) -> Any:
        """The stored value of field ``name`` of ``record``."""
        if self.value is not None:
            return self.value(record, name)
        return getattr(record, name, None)


class SensitiveLabel(str):
    """A derived permission's label: English when stored, the reader's language when shown
    (``crm_core.i18n.translate`` calls ``translated``)."""

    verb: str
    records: Any

    def __new__(cls, verb: str, records: Any) -> SensitiveLabel:
        label = super().__new__(cls, TEXTS[verb] % {"records": str(records).lower()})
        label.verb, label.records = verb, records
        return label

    def translated(self) -> str:
        """The label in the current language."""
        from flask_babel import gettext

        return gettext(TEXTS[self.verb], records=str(self.records).lower())


def declarations(manager: Any) -> list[tuple[str, SensitiveFields]]:
    """Every enabled plugin's declarations, each bound to its plugin, in load order."""
    from ..plugins import call_each

    if not hasattr(manager.hook, "crm_sensitive_fields"):
        return []
    found: list[tuple[str, SensitiveFields]] = []
    seen: dict[str, str] = {}
    for plugin, result in call_each(manager, "crm_sensitive_fields"):
        for item in result or []:
            if not isinstance(item, SensitiveFields):
                raise RegistryError(f"plugin {plugin!r}: crm_sensitive_fields returned "
                                    f"{item!r}, expected toolkit.SensitiveFields")
            if not item.kind.startswith(f"{plugin}."):
                raise RegistryError(f"plugin {plugin!r}: sensitive kind {item.kind!r} must "
                                    f"start with '{plugin}.'")
            if item.kind in seen:
                raise RegistryError(f"sensitive kind {item.kind!r} is declared twice: by "
                                    f"plugin {seen[item.kind]!r} and by plugin {plugin!r}")
            seen[item.kind] = plugin
            found.append((plugin, item))
    return found


def declared(app: Any) -> dict[str, SensitiveFields]:
    """The running app's declarations by kind (gathered once per app)."""
    cached = app.extensions.get("crm_sensitive")
    if cached is None:
        cached = {item.kind: item for _plugin, item in declarations(app.extensions["crm"].pm)}
        app.extensions["crm_sensitive"] = cached
    return cached


def derived(manager: Any, hook_name: str, declared_items: list[tuple[str, Any]]
            ) -> list[tuple[str, Any]]:
    """The permissions and default grants the declarations imply (``plugins.collect``)."""
    if hook_name not in DERIVED_HOOKS:
        return []
    taken = {getattr(item, "name", None) for _plugin, item in declared_items}
    items: list[tuple[str, Any]] = []
    done: set[str] = set()
    for plugin, spec in declarations(manager):
        if spec.permission_kind or spec.kind in done:
            continue
        done.add(spec.kind)
        group = str(spec.label) if spec.label else plugin
        if hook_name == "crm_permissions":
            items += [(plugin, Permission(name, SensitiveLabel(verb, spec.label or spec.kind),
                                          group))
                      for verb, name in (("view_sensitive", spec.view_sensitive),
                                         ("reveal_sensitive", spec.reveal_sensitive))
                      if name not in taken]
        else:
            grants = [(role, spec.view_sensitive) for role in spec.roles] + \
                     [(role, spec.reveal_sensitive) for role in spec.reveal_roles]
            items += [(plugin, RoleSpec(role, ROLE_LABELS.get(role, role), (name,)))
                      for role, name in grants]
    return items
