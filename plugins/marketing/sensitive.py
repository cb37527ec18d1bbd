"""The marketing plugin's sensitive fields (号码脱敏): the e-mail addresses and phones of
campaign recipients, event registrants and responses, shown on the recipients,
registrants and evaluation pages, the registrants' file and API.

They are one kind, ``marketing.recipient`` (no record page of their own, so masks without a
reveal button): managers and administrators see them in clear
(``marketing.recipient.view_sensitive``); marketers see ``z***@example.com``.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from crm_core.toolkit import SensitiveFields

__all__ = ["RECIPIENT", "sensitive_fields"]

RECIPIENT = "marketing.recipient"


def sensitive_fields() -> list[SensitiveFields]:
    """The declarations for ``crm_sensitive_fields``."""
    return [SensitiveFields(RECIPIENT, {"email": "email", "phone": "phone"},
                            label=_l("Campaign recipients"), reveal_roles=())]
