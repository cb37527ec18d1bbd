"""The outbox: messages written in the sender's transaction, delivered after commit.

``enqueue(channel, payload, idempotency_key)`` and ``send_mail(...)`` are the entry points
(also ``toolkit.outbox.enqueue`` and ``toolkit.send_mail``); channels come from the
``crm_outbox_channels`` hook; ``delivery.py`` claims and delivers, with retries and backoff.
A plugin's own mail channel (one that checks something first, as marketing's re-checks
consent) hands the mail on with ``deliver_mail`` (``validate_mail`` and ``mail_problem`` are
the ``mail`` channel's checks).
"""

from .channels import OutboxChannel, OutboxDelivery, OutboxError
from .mail import deliver_mail, mail_problem, send_mail, validate_mail
from .service import enqueue

__all__ = ["OutboxChannel", "OutboxDelivery", "OutboxError", "deliver_mail", "enqueue",
           "mail_problem", "send_mail", "validate_mail"]
