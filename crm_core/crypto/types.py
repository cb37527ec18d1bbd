"""``EncryptedString``: a column stored encrypted, with an optional blind index beside it.

::

    id_card_number: Mapped[str | None] = mapped_column(EncryptedString(
        "customers.id_card_number", blind_index="id_card_number_bidx",
        normalise=normalise_id_card))
    id_card_number_bidx: Mapped[str | None] = mapped_column(String(64), index=True)

The ORM sees plain text; the database sees ``enc1:<key id>:...``. Whenever the attribute is
set (a form, the API, an import through the ORM), the blind index column named is set too,
under the current key. Core inserts (``insert_many``) must set the index themselves with
``current_index``. Reading plain text written before the column was encrypted works (it is
returned as is; ``crm keys rotate`` encrypts it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, Text, event, false
from sqlalchemy.orm import InstrumentedAttribute, Mapper
from sqlalchemy.types import TypeDecorator

from .cipher import blind_index, current_index, decrypt_text, encrypt_text, ring
from .keyring import config_of, ring_for


class EncryptedString(TypeDecorator[str]):
    """Text encrypted with the key ring (AES-256-GCM), bound to ``purpose``.

    ``blind_index``: the name of the column on the same model that keeps the value's blind
    index (``String(64)``, indexed); ``normalise``: what makes equal values equal before they
    are indexed (spaces, case). Neither ordering nor LIKE works on the column: only
    ``lookup`` (exact).
    """

    impl = Text
    cache_ok = True

    def __init__(self, purpose: str, *, blind_index: str | None = None,
                 normalise: Callable[[str], str] | None = None) -> None:
        super().__init__()
        self.purpose = purpose
        self.blind_index = blind_index
        self.normalise = normalise

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None or value == "":
            return value
        return encrypt_text(str(value), self.purpose)

    def process_result_value(self, value: Any, dialect: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt_text(value, self.purpose)

    def result_processor(self, dialect: Any, coltype: Any) -> Callable[[Any], Any]:
        """``process_result_value`` without TypeDecorator's wrapping (the driver hands
        back text as it is): read for every row of a list, most of them empty. Through an
        app's engine, the values open with that app's ring (``serve_dialect``)."""
        purpose = self.purpose
        config = config_of(dialect)
        if config is None:  # an engine of no app: the current app's ring
            def process(value: Any) -> Any:
                return decrypt_text(value, purpose) if value else value
        else:
            def process(value: Any) -> Any:
                return decrypt_text(value, purpose, ring_for(config)) if value else value

        return process

    def opener(self) -> Callable[[Any], Any]:
        """A function opening this column's raw values (read by a statement without result
        processing) with the current app's key ring, found once: for the rows of a file,
        where finding it for each value took a fifth of opening it."""
        purpose, keys = self.purpose, ring()

        def open_value(value: Any) -> Any:
            return decrypt_text(value, purpose, keys) if value else value

        return open_value

    def index_of(self, value: str | None) -> str | None:
        """The blind index to store for ``value`` (under the current key)."""
        return current_index(value, self.purpose, self.normalise)


def _encrypted_type(attribute: InstrumentedAttribute[Any]) -> EncryptedString:
    column_type = attribute.property.columns[0].type  # type: ignore[attr-defined]
    if not isinstance(column_type, EncryptedString) or not column_type.blind_index:
        raise TypeError(f"{attribute} is not an EncryptedString with a blind index")
    return column_type


def lookup(attribute: InstrumentedAttribute[Any], value: str) -> ColumnElement[bool]:
    """The condition "this encrypted column equals ``value``", through its blind index.

    ``select(Customer).where(lookup(Customer.id_card_number, text))`` is an index seek; the
    index is computed under every key of the ring, so rows not yet rotated are found too.
    """
    column_type = _encrypted_type(attribute)
    indexes = blind_index(value, column_type.purpose, column_type.normalise)
    if not indexes:
        return false()
    index_column = getattr(attribute.class_, column_type.blind_index)  # type: ignore[arg-type]
    return index_column.in_(indexes)


def encrypted_columns(mapper: Mapper[Any]) -> list[tuple[str, EncryptedString]]:
    """The attribute names and types of a mapped class's encrypted columns."""
    found = []
    for prop in mapper.column_attrs:
        column_type = prop.columns[0].type
        if isinstance(column_type, EncryptedString):
            found.append((prop.key, column_type))
    return found


def _keep_index(name: str, column_type: EncryptedString) -> Callable[..., Any]:
    def on_set(target: Any, value: Any, _old: Any, _initiator: Any) -> Any:
        setattr(target, name, column_type.index_of(value))
        return value
    return on_set


@event.listens_for(Mapper, "mapper_configured")
def _install_index_listeners(mapper: Mapper[Any], class_: type) -> None:
    """Keep each blind index in step with its encrypted attribute, on every model."""
    for key, column_type in encrypted_columns(mapper):
        if column_type.blind_index:
            event.listen(getattr(class_, key), "set",
                         _keep_index(column_type.blind_index, column_type), retval=True)


def index_for(attribute: InstrumentedAttribute[Any], value: str | None) -> str | None:
    """The blind index to store for ``value`` in ``attribute``'s index column: for Core
    inserts and updates, which the ORM's set event does not see."""
    return _encrypted_type(attribute).index_of(value)
