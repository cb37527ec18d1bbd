"""Export and erasure of one person's data across every enabled plugin (PIPL art. 45, 47).

``export_person`` asks every plugin's ``crm_privacy_export`` for what it holds;
``erase_person`` has every plugin's ``crm_privacy_erase`` anonymise it, registers the
erasure, puts the hashed e-mail and phone on the suppression list and writes ONE operation
log entry, all in one transaction: if any plugin fails, nothing is erased. Old log entries
are never edited (the hash chain must verify); docs/OPERATIONS.md says why.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from ..audit import chain
from ..audit.context import current_origin
from ..audit.service import record_event
from ..db import utcnow
from ..errors import CrmError
from .identity import Person
from .kit import Erasure
from .models import PrivacyErasure
from .suppression import hash_value, suppress

FORMAT = "crm-personal-data/1"


class PrivacyError(CrmError):
    """A personal-data request that cannot be carried out; the message names the plugin
    (``plugin``)."""

    def __init__(self, message: str, plugin: str = "") -> None:
        super().__init__(message)
        self.plugin = plugin


def _impls(hook: str) -> list[Any]:
    """The implementations of ``hook`` in plugin load order (the kernel first)."""
    platform = current_app.extensions["crm"]
    order = {name: index for index, name in enumerate(platform.names)}
    found = [impl for impl in getattr(platform.pm.hook, hook).get_hookimpls()
             if not (impl.hookwrapper or impl.wrapper)]
    return sorted(found, key=lambda impl: (order.get(impl.plugin_name, -1), impl.plugin_name))


def _call(impl: Any, **arguments: Any) -> Any:
    return impl.function(**{name: arguments[name] for name in impl.argnames})


def _guarded(impl: Any, what: str, **arguments: Any) -> Any:
    """Call one plugin's hook; a failure becomes a ``PrivacyError`` naming the plugin."""
    try:
        return _call(impl, **arguments)
    except CrmError:
        raise
    except Exception as exc:
        raise PrivacyError(f"Plugin {impl.plugin_name!r} could not {what} "
                           f"({type(exc).__name__}: {exc}).", impl.plugin_name) from exc


def locate(session: Session, person: Person) -> Person:
    """Let every plugin record which of its records are the person's (``person.refs``)."""
    for impl in _impls("crm_privacy_locate"):
        _guarded(impl, "look the person up", person=person, session=session)
    return person


def gather(session: Session, person: Person) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """What each plugin holds about the person: ``{plugin: {section: [row, ...]}}``, only
    the plugins and sections that hold something."""
    locate(session, person)
    found: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for impl in _impls("crm_privacy_export"):
        sections = _guarded(impl, "export", person=person, session=session) or {}
        sections = {name: list(rows) for name, rows in sections.items() if rows}
        if sections:
            found[impl.plugin_name] = sections
    return found


def counts_of(found: dict[str, dict[str, list[Any]]]) -> dict[str, dict[str, int]]:
    """How many rows each plugin's sections hold."""
    return {plugin: {name: len(rows) for name, rows in sections.items()}
            for plugin, sections in found.items()}


def _hashes(session: Session, person: Person) -> dict[str, str]:
    return {"email_hash": hash_value(session, "email", person.email),
            "phone_hash": hash_value(session, "phone", person.phone)}


def _total(counts: dict[str, dict[str, int]]) -> int:
    return sum(sum(sections.values()) for sections in counts.values())


def look_up(session: Session, person: Person) -> dict[str, dict[str, int]]:
    """The counts of what each plugin holds, logged as a look-up (without the clear values)."""
    try:
        counts = counts_of(gather(session, person))
    except BaseException:
        session.rollback()
        raise
    record_event("privacy_lookup", _l("Looked up a person's data: %(n)d records",
                                      n=_total(counts)),
                 changes={**_hashes(session, person), "records": counts}, session=session)
    session.commit()
    return counts


def export_person(session: Session, person: Person) -> dict[str, Any]:
    """The export document (JSON-able) of everything the plugins hold about the person;
    the export is logged (hashes and counts only) and committed."""
    try:
        found = gather(session, person)
    except BaseException:
        session.rollback()
        raise
    counts = counts_of(found)
    record_event("privacy_export", _l("Exported a person's data: %(n)d records",
                                      n=_total(counts)),
                 changes={**_hashes(session, person), "records": counts}, session=session)
    session.commit()
    return {"format": FORMAT, "exported_at": utcnow().isoformat(timespec="seconds"),
            "person": {"email": person.email, "phone": person.phone},
            "plugins": found}


def export_bytes(document: dict[str, Any], as_zip: bool) -> bytes:
    """The export as one JSON file, or a zip with ``person.json`` and one JSON per plugin."""
    def dump(value: Any) -> bytes:
        return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True,
                          default=chain.json_default).encode("utf-8")

    if not as_zip:
        return dump(document)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        head = {key: value for key, value in document.items() if key != "plugins"}
        archive.writestr("person.json", dump({**head, "plugins": sorted(document["plugins"])}))
        for plugin, sections in document["plugins"].items():
            archive.writestr(f"{plugin}.json", dump(sections))
    return buffer.getvalue()


@dataclass
class ErasureResult:
    """What an erasure did: its register id, the counts per plugin, the operator's notes
    and the id of its operation log entry."""

    erasure_id: int
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    log_entry_id: int | None = None

    @property
    def total(self) -> int:
        """Records anonymised or deleted, over every plugin."""
        return _total(self.counts)


def erase_person(session: Session, person: Person) -> ErasureResult:
    """Anonymise the person everywhere, in one transaction, and commit.

    Any plugin raising rolls everything back (nothing half-erased) and raises
    ``PrivacyError`` naming the plugin.
    """
    try:
        # The chain lock first, like every logged write, so two writers never deadlock.
        chain.lock(session)
        locate(session, person)
        actor = current_origin(None).actor
        register = PrivacyErasure(user_id=actor.user_id, username=actor.username[:80],
                                  **_hashes(session, person))
        session.add(register)
        session.flush()
        erasure = Erasure(register.id)
        counts: dict[str, dict[str, int]] = {}
        for impl in _impls("crm_privacy_erase"):
            try:
                done = _call(impl, person=person, erasure=erasure, session=session) or {}
            except Exception as exc:
                raise PrivacyError(f"The erasure stopped in plugin {impl.plugin_name!r} "
                                   f"({type(exc).__name__}: {exc}); nothing was erased.",
                                   impl.plugin_name) from exc
            done = {name: int(count) for name, count in done.items() if count}
            if done:
                counts[impl.plugin_name] = done
        register.counts, register.notes = counts, list(erasure.notes)
        for email in person.emails:
            suppress(session, "email", email, register.id)
        for number in person.numbers:
            suppress(session, "phone", number, register.id)
        session.flush()
        record_event("privacy_erase",
                     _l("Erased a person's data (erasure %(id)d): %(n)d records",
                        id=register.id, n=_total(counts)),
                     model=PrivacyErasure, record_id=register.id,
                     changes={**_hashes(session, person), "records": counts},
                     session=session)
        log_id = chain.lock(session)[0]
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return ErasureResult(register.id, counts, list(erasure.notes), log_id)


def recent_erasures(session: Session, limit: int = 20) -> list[PrivacyErasure]:
    """The newest erasures, newest first (the admin page's register)."""
    from sqlalchemy import select

    return list(session.scalars(select(PrivacyErasure).order_by(PrivacyErasure.id.desc())
                                .limit(limit)))

