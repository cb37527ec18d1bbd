"""Data scope: a user sees records they own, their department's (with sub-departments), or all.

The data-scope work fills in the bodies; the signatures are the contract.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DataScope:
    """Declared on a model as ``__data_scope__``: its record kind and owner/department columns."""

    kind: str
    owner: str = "owner_id"
    department: str | None = "department_id"


def user_scope(user: Any, kind: str) -> str:
    """``"own"``, ``"department"`` or ``"all"``: the widest scope the user's roles give."""
    raise NotImplementedError("filled in by the data scope work")


def scoped(statement: Any, model: type, user: Any = None) -> Any:
    """``statement`` restricted to the rows of ``model`` the user (default: current) may see."""
    raise NotImplementedError("filled in by the data scope work")


def get_scoped_or_404(model: type, record_id: Any, user: Any = None) -> Any:
    """The record if it exists and is in the user's scope; 404 otherwise (never 403)."""
    raise NotImplementedError("filled in by the data scope work")
