"""Errors the kernel raises when it cannot start or a user asks for something impossible."""

from __future__ import annotations


class CrmError(Exception):
    """Base of every error the platform reports as one clear line (CLI exit code 2)."""


class ConfigError(CrmError):
    """A configuration value is missing, malformed or points at something unreachable."""


class PluginError(CrmError):
    """A plugin cannot be loaded: unknown, broken, missing a requirement, or in a cycle."""


class RegistryError(CrmError):
    """Two plugins registered the same id, or a registration is malformed."""


class DomainError(CrmError):
    """A business rule refused the request; the message is shown to the user as is.

    Pages and the API answer ``status`` (422; a subclass may say 404 for "no such record
    you may see" or 409 for a conflict)."""

    status: int = 422
