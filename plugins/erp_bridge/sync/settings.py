"""Per object (customers, products, orders, invoices): the direction of the sync, the field
mapping and the conflict policy, stored with ``toolkit.set_setting`` under
``erp_bridge.sync.<object>`` (the install's, which every connection follows) or
``erp_bridge.sync.<object>.<connection>`` (one connection's own, which win over the
install's for that connection; removing them makes it follow the install's again).

Defaults (issue 16): customers and orders are pushed, products and invoices pulled; the
CRM wins customer master data, the ERP wins prices, invoices and payments; "newest wins"
compares the ERP record's ``write_date`` with the CRM record's last change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l

from crm_core.toolkit import SettingError, get_setting, set_setting

OBJECTS = ("customers", "products", "orders", "invoices")
OBJECT_LABELS = {"customers": _l("Customers"), "products": _l("Products"),
                 "orders": _l("Orders"), "invoices": _l("Invoices")}
DIRECTIONS = ("push", "pull", "both", "off")
DIRECTION_LABELS = {"push": _l("Push to the ERP"), "pull": _l("Pull from the ERP"),
                    "both": _l("Both ways"), "off": _l("Off")}
POLICIES = ("crm", "erp", "newest")
POLICY_LABELS = {"crm": _l("The CRM wins"), "erp": _l("The ERP wins"),
                 "newest": _l("The newest change wins")}
#: Which directions an object can take (the adapter pulls products and invoices, pushes
#: customers and orders).
ALLOWED = {"customers": ("push", "off"), "products": ("pull", "off"),
           "orders": ("push", "off"), "invoices": ("pull", "off")}
DEFAULT_DIRECTION = {"customers": "push", "products": "pull", "orders": "push",
                     "invoices": "pull"}
DEFAULT_POLICY = {"customers": "crm", "products": "erp", "orders": "crm", "invoices": "erp"}
#: ERP field ← CRM field. Customers: ``res.partner`` ← the customer's fields (``phone`` and
#: ``email`` take the first of each); products: the CRM product ← ``product.product``.
DEFAULT_FIELDS: dict[str, dict[str, str]] = {
    "customers": {"name": "name", "phone": "phone", "email": "email", "vat": "uscc",
                  "street": "address", "city": "city", "comment": "notes"},
    "products": {"sku": "default_code", "name": "name", "list_price": "list_price",
                 "active": "active"},
    "orders": {},
    "invoices": {},
}
#: The fields each side may name in a mapping.
CHOICES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "customers": (("name", "phone", "email", "vat", "street", "city", "zip", "comment"),
                  ("name", "phone", "email", "uscc", "address", "city", "province",
                   "notes", "website", "code")),
    "products": (("sku", "name", "list_price", "active", "description"),
                 ("default_code", "name", "list_price", "active")),
}


@dataclass(frozen=True)
class ObjectSettings:
    """One object's sync settings."""

    obj: str
    direction: str
    policy: str
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def pushes(self) -> bool:
        """Whether CRM changes go to the ERP."""
        return self.direction in ("push", "both")

    @property
    def pulls(self) -> bool:
        """Whether ERP changes come to the CRM."""
        return self.direction in ("pull", "both")


def _key(obj: str, connection: str | None) -> str:
    return f"erp_bridge.sync.{obj}" + (f".{connection}" if connection else "")


def has_own_settings(obj: str, connection: str) -> bool:
    """Whether ``connection`` has its own settings for ``obj`` (else it follows the
    install's)."""
    return isinstance(get_setting(_key(obj, connection)), dict)


def object_settings(obj: str, connection: str | None = None) -> ObjectSettings:
    """The settings of ``obj`` for ``connection`` (its own, else the install's), or the
    install's (``connection`` None); the defaults where nothing is stored."""
    own = get_setting(_key(obj, connection)) if connection else None
    stored = own if isinstance(own, dict) else (get_setting(_key(obj, None)) or {})
    direction = stored.get("direction")
    policy = stored.get("policy")
    fields = stored.get("fields")
    return ObjectSettings(
        obj, direction if direction in ALLOWED[obj] else DEFAULT_DIRECTION[obj],
        policy if policy in POLICIES else DEFAULT_POLICY[obj],
        dict(fields) if isinstance(fields, dict) else dict(DEFAULT_FIELDS[obj]))


def save_object_settings(session: Any, obj: str, direction: str, policy: str,
                         fields: dict[str, str] | None = None,
                         connection: str | None = None) -> ObjectSettings:
    """Store ``obj``'s settings, the install's or ``connection``'s own (the caller commits);
    a value not offered is refused with ``SettingError``. Fields map an ERP field to a CRM
    field, both from ``CHOICES``."""
    if obj not in OBJECTS or direction not in ALLOWED[obj] or policy not in POLICIES:
        raise SettingError(str(_l("That direction or policy is not offered for this "
                                  "object.")))
    clean = dict(DEFAULT_FIELDS[obj]) if fields is None else {}
    if fields is not None:
        erp_names, crm_names = CHOICES.get(obj, ((), ()))
        for erp_field, crm_field in fields.items():
            if erp_field not in erp_names or crm_field not in crm_names:
                raise SettingError(str(_l("The field mapping names a field that is not "
                                          "offered.")))
            clean[erp_field] = crm_field
    set_setting(session, _key(obj, connection),
                {"direction": direction, "policy": policy, "fields": clean})
    return object_settings(obj, connection)


def forget_object_settings(session: Any, obj: str, connection: str) -> None:
    """Drop ``connection``'s own settings of ``obj``: it follows the install's again."""
    if obj in OBJECTS:
        set_setting(session, _key(obj, connection), None)


def newest_wins(erp_write_date: str, crm_updated_at: Any) -> bool:
    """Whether the ERP's record (``write_date`` ``"YYYY-MM-DD HH:MM:SS"`` UTC) is newer
    than the CRM's (an aware datetime, or None): the "newest wins" comparison."""
    if crm_updated_at is None:
        return True
    crm_text = crm_updated_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    return str(erp_write_date) > crm_text


def erp_wins(obj: str, erp_write_date: str, crm_updated_at: Any,
             connection: str | None = None) -> bool:
    """Whether a pulled ERP value replaces the CRM's under ``obj``'s policy (of
    ``connection``)."""
    policy = object_settings(obj, connection).policy
    if policy == "newest":
        return newest_wins(erp_write_date, crm_updated_at)
    return policy == "erp"
