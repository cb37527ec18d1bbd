"""The service plugin's sensitive fields (号码脱敏): the e-mail and phone a requester typed
on the public form. Agents (``service.request.reveal_sensitive``) see them masked and
reveal one to call back, logged; managers see them in clear."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from crm_core.toolkit import SensitiveFields

from ..models import ServiceRequest

__all__ = ["REQUEST", "sensitive_fields"]

REQUEST = "service.request"


def sensitive_fields() -> list[SensitiveFields]:
    """The declarations for ``crm_sensitive_fields``."""
    return [SensitiveFields(REQUEST, {"requester_phone": "phone", "requester_email": "email"},
                            model=ServiceRequest, label=_l("Service requests"),
                            # sales reps do not read service requests: agents reveal
                            reveal_roles=("service",))]
