"""Outbox channels: what a plugin registers (``crm_outbox_channels``) and the app's registry.

A channel is a name and a ``deliver(payload, message)`` function that raises when the
message did not get through. The kernel's own channel is ``mail`` (``mail.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app

from ..errors import DomainError, RegistryError
from ..plugins import collect

CHANNEL_NAME_LENGTH = 80


class OutboxError(DomainError):
    """A message the outbox refuses: unknown channel, bad payload or key, nothing to replay."""


@dataclass(frozen=True)
class OutboxChannel:
    """A way out of the process, registered with the ``crm_outbox_channels`` hook.

    ``deliver(payload, message)`` sends one message and raises on failure (the outbox
    retries with backoff); ``message`` is an ``OutboxDelivery``. Optional:
    ``validate(payload)`` raises ``OutboxError`` (or ``ValueError``) for a payload it can
    never send, so ``enqueue`` refuses it at once; ``ready()`` returns why the channel cannot
    deliver right now (missing settings), or None: while it answers a reason, its messages
    stay pending and no try is spent; ``summary(payload)`` is a short text for the outbox
    page (never a secret); ``label`` names the channel on that page.

    ``on_sent(session, delivered)`` lets the channel stamp its own rows in the outbox's
    transaction: the messages it delivered are booked ``sent`` once per batch of a drain
    (up to ``delivery.BATCH``), and ``on_sent`` gets that transaction's session with the
    list of ``(payload, OutboxDelivery)`` delivered in it; it writes, the outbox commits
    once. Such a channel's ``deliver`` may return ``False`` for "nothing left the process"
    (say, the recipient withdrew): the message is booked sent but not passed to
    ``on_sent``. Each accepted message is noted at once on its row (a one-row commit), so a
    worker that dies mid-batch never delivers it again: the next claim books it sent.
    """

    name: str
    deliver: Callable[[dict[str, Any], OutboxDelivery], Any]
    validate: Callable[[dict[str, Any]], Any] | None = None
    ready: Callable[[], str | None] | None = None
    summary: Callable[[dict[str, Any]], str] | None = None
    label: Any = None
    on_sent: Callable[[Any, list[tuple[dict[str, Any], OutboxDelivery]]], Any] | None = None


@dataclass(frozen=True)
class OutboxDelivery:
    """What ``deliver`` learns about the message besides its payload.

    ``idempotency_key`` travels to the receiver (the Message-ID of a mail, a header of a
    webhook) so it can drop a message it has seen: delivery is at least once.
    ``attempt`` counts from 1.
    """

    id: int
    channel: str
    idempotency_key: str
    attempt: int
    created_at: dt.datetime


def build_registry(app: Flask) -> dict[str, tuple[str, OutboxChannel]]:
    """Collect every enabled plugin's channels into ``app.extensions["crm_outbox"]``.

    A wrong type or a name registered twice stops the app, naming the plugins.
    """
    registry: dict[str, tuple[str, OutboxChannel]] = {}
    for plugin, spec in collect(app.extensions["crm"].pm, "crm_outbox_channels"):
        if not isinstance(spec, OutboxChannel):
            raise RegistryError(f"plugin {plugin!r}: crm_outbox_channels returned {spec!r}, "
                                "expected toolkit.OutboxChannel")
        if not spec.name or len(spec.name) > CHANNEL_NAME_LENGTH or not callable(spec.deliver):
            raise RegistryError(f"plugin {plugin!r}: outbox channel {spec.name!r} needs a name "
                                f"of 1 to {CHANNEL_NAME_LENGTH} characters and a deliver "
                                "function")
        if spec.name in registry:
            raise RegistryError(f"outbox channel {spec.name!r} is registered twice: by plugin "
                                f"{registry[spec.name][0]!r} and by plugin {plugin!r}")
        registry[spec.name] = (plugin, spec)
    app.extensions["crm_outbox"] = registry
    return registry


def channels() -> dict[str, OutboxChannel]:
    """The running app's channels by name."""
    registry = current_app.extensions.get("crm_outbox")
    if registry is None:
        registry = build_registry(current_app._get_current_object())  # type: ignore[attr-defined]
    return {name: spec for name, (_plugin, spec) in registry.items()}


def get_channel(name: str) -> OutboxChannel:
    """The channel ``name``; ``OutboxError`` naming the known ones when there is none."""
    known = channels()
    if name not in known:
        raise OutboxError(f"Unknown outbox channel {name!r} (known channels: "
                          f"{', '.join(sorted(known)) or 'none'}).")
    return known[name]


def not_ready() -> dict[str, str]:
    """Why each channel that cannot deliver now cannot, by channel name."""
    reasons: dict[str, str] = {}
    for name, spec in channels().items():
        try:
            reason = spec.ready() if spec.ready is not None else None
        except Exception as exc:  # a broken check holds its channel back, not the others
            reason = f"its readiness check failed: {type(exc).__name__}: {exc}"
        if reason:
            reasons[name] = str(reason)
    return reasons
