"""The operation log's view of a ``custom`` column: a change of the JSON object reads as
one change per field, by its label, with values as pages show them (``细分行业: 医疗器械 →
汽车零部件``), archived fields included."""

from __future__ import annotations

from typing import Any

from flask import current_app, g

from .storage import kind_of_model
from .types import display
from .values import locale


def _definitions(kind: str) -> dict[str, Any]:
    from ..db import get_session
    from .service import fields_of

    cache = g.setdefault("crm_custom_audit", {})
    if kind not in cache:
        cache[kind] = {item.key: item for item in fields_of(get_session(), kind,
                                                            archived=None)}
    return cache[kind]


def _model(table: str) -> Any:
    for models in current_app.extensions["crm"].models.values():
        for model in models:
            if getattr(model, "__tablename__", None) == table:
                return model
    return None


def custom_changes(table: str | None, change: Any) -> list[tuple[Any, ...]] | None:
    """``(field, label, old, new, has_old, has_new)`` per changed custom value of a
    ``custom`` column change, or None when ``table`` takes no custom fields."""
    model = _model(table) if table else None
    kind = kind_of_model(model) if model is not None else None
    if kind is None:
        return None
    old = change.old if isinstance(change.old, dict) else {}
    new = change.new if isinstance(change.new, dict) else {}
    fields = _definitions(kind.key)
    found = []
    for key in sorted(set(old) | set(new)):
        if old.get(key) == new.get(key):
            continue
        item = fields.get(key)
        label = item.label(locale()) if item is not None else key

        def text(value: Any, item: Any = item) -> Any:
            if value is None:
                return None
            return display(item, value) if item is not None else value

        found.append((f"custom.{key}", label, text(old.get(key)), text(new.get(key)),
                      key in old, key in new))
    return found
