"""The Odoo protocol layer: transports, the version probe and the error taxonomy.

No Flask and no database here: plain values in, plain values out, and every failure one of
:mod:`.errors` (``AuthError``, ``PermissionError``, ``ValidationError``, ``NotFound``,
``TransientError``, ``ProtocolError``; ``retry`` says which to try again). Modules:

- ``transports``: JSON-2, XML-RPC and JSON-RPC, each ``call(model, method, ids, params,
  context)``;
- ``client``: :class:`OdooClient` (version probe, transport choice, ``search_read``,
  ``pull_changes`` by ``write_date`` and id, ``find_by_ref``, ``create``);
- ``errors``: the taxonomy and the mapping of each transport's error shape.

See docs/erp_bridge.md for what each is tested against.
"""

from plugins.erp_bridge.odoo.client import Cursor, OdooClient, VersionInfo
from plugins.erp_bridge.odoo.errors import (
    AuthError,
    NotFound,
    OdooError,
    PermissionError,
    ProtocolError,
    TransientError,
    ValidationError,
)

__all__ = [
    "AuthError",
    "Cursor",
    "NotFound",
    "OdooClient",
    "OdooError",
    "PermissionError",
    "ProtocolError",
    "TransientError",
    "ValidationError",
    "VersionInfo",
]
