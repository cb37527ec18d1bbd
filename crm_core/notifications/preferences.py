"""Which channels a user's notifications of a kind go through: their choice, else the
kind's defaults. A choice is kept per kind and channel, so a channel a new plugin adds
later starts at the kind's default for it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import NotificationPreference
from .registry import NotificationRegistry
from .specs import NotificationKind


def stored_choices(session: Session, user_id: int) -> dict[tuple[str, str], bool]:
    """``{(kind, channel): enabled}`` the user chose (only what they chose)."""
    rows = session.execute(select(NotificationPreference.kind, NotificationPreference.channel,
                                  NotificationPreference.enabled)
                           .where(NotificationPreference.user_id == user_id))
    return {(kind, channel): enabled for kind, channel, enabled in rows}


def effective_choices(registry: NotificationRegistry, stored: Mapping[tuple[str, str], bool]
                      ) -> dict[tuple[str, str], bool]:
    """Every kind × channel of the running app: on or off for this user."""
    return {(kind.name, channel.name): stored.get((kind.name, channel.name),
                                                  channel.name in kind.default_channels)
            for kind in registry.kind_list() for channel in registry.channel_list()}


def channels_for(registry: NotificationRegistry, kind: NotificationKind,
                 stored: Mapping[tuple[str, str], bool]) -> list[str]:
    """The enabled channels a notification of ``kind`` goes through, in channel order."""
    return [channel.name for channel in registry.channel_list()
            if stored.get((kind.name, channel.name), channel.name in kind.default_channels)]


def save_choices(session: Session, user_id: int, chosen: Iterable[tuple[str, str]],
                 registry: NotificationRegistry) -> None:
    """Keep the user's choice of every kind × channel shown: those in ``chosen`` on, the
    others off. Rows of kinds or channels no longer enabled are left alone (a plugin
    switched off and on again finds them)."""
    wanted = set(chosen)
    existing = {(row.kind, row.channel): row for row in session.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id == user_id))}
    for key in effective_choices(registry, {}):
        enabled = key in wanted
        row = existing.get(key)
        if row is None:
            session.add(NotificationPreference(user_id=user_id, kind=key[0], channel=key[1],
                                               enabled=enabled))
        elif row.enabled != enabled:
            row.enabled = enabled
    session.flush()


def reset_choices(session: Session, user_id: int) -> None:
    """Forget the user's choices: every kind goes back to its defaults."""
    for row in session.scalars(select(NotificationPreference)
                               .where(NotificationPreference.user_id == user_id)):
        session.delete(row)  # one by one, so the operation log sees each
    session.flush()
