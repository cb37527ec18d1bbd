"""The outbox: messages written in the sender's transaction, delivered after commit.

``enqueue(channel, payload, idempotency_key)`` and ``send_mail(...)`` are the entry points
(also ``toolkit.outbox.enqueue`` and ``toolkit.send_mail``); channels come from the
``crm_outbox_channels`` hook; ``delivery.py`` claims and delivers, with retries and backoff.
"""

from .channels import OutboxChannel, OutboxDelivery, OutboxError
from .mail import send_mail
from .service import enqueue

__all__ = ["OutboxChannel", "OutboxDelivery", "OutboxError", "enqueue", "send_mail"]
