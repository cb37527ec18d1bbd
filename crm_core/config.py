"""Effective configuration: defaults < ``instance/crm.toml`` < ``CRM_*`` environment < caller.

Every setting is kept in ``app.config`` under its ``CRM_`` name. ``instance/crm.toml`` uses the
same names without the prefix, lower case; a TOML table ``[customers]`` holding ``page_size``
becomes ``CRM_CUSTOMERS_PAGE_SIZE``, so a plugin's settings live under its own prefix.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from .errors import ConfigError

SECRET_SUFFIXES = ("SECRET", "SECRET_KEY", "PASSWORD", "TOKEN", "API_KEY", "ENCRYPTION_KEY",
                   "BACKUP_KEY")


def instance_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The instance folder: ``explicit``, ``CRM_INSTANCE_PATH`` or ``./instance`` (created)."""
    path = Path(explicit or os.environ.get("CRM_INSTANCE_PATH") or Path.cwd() / "instance")
    path = path.resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def defaults(instance: Path) -> dict[str, Any]:
    """Settings used when nothing else says otherwise: everything embedded in ``instance/``."""
    return {
        "CRM_DATABASE_URL": f"sqlite:///{instance / 'crm.sqlite'}",
        "CRM_BROKER_URL": f"sqla+sqlite:///{instance / 'broker.sqlite'}",
        "CRM_PLUGINS": None,  # None: every built-in and installed plugin
        "CRM_STRICT": False,  # tests: a route without a declared permission stops the app
        "CRM_JOB_FILES": str(instance / "jobs"),
        "CRM_BEAT_SCHEDULE_FILE": str(instance / "celerybeat-schedule"),
        "CRM_READY_TIMEOUT": 2.0,
        "CRM_TASK_QUEUE": "crm",
        "CRM_LOGIN_MAX_FAILURES": 5,  # failed sign-ins (per account, per IP) before a lockout
        "CRM_LOGIN_LOCKOUT_MINUTES": 15,  # the lockout, and the window failures count in
        "CRM_PASSWORD_MIN_LENGTH": 10,
        "CRM_PROXY_FIX": False,  # behind a TLS-ending proxy: trust X-Forwarded-Proto/-For/-Host
        "CRM_LOG_LEVEL": "INFO",  # of the kernel's and the plugins' loggers
        "CRM_MAX_REQUEST_MB": 1,  # a request body (form, JSON); upload routes declare more
        "CRM_MAX_UPLOAD_MB": 20,  # one attachment (toolkit.attachments); larger is refused
        "CRM_FILES_DIR": str(instance / "files"),  # attachments' bytes (shared by all boxes)
        # or an S3-compatible bucket for them: s3://bucket/prefix (CRM_S3_ENDPOINT_URL,
        # CRM_S3_REGION, CRM_S3_ACCESS_KEY, CRM_S3_SECRET_KEY; docs/OPERATIONS.md)
        "CRM_FILE_STORE": "",
        "CRM_MAX_URL_LENGTH": 8192,  # path plus query string, in bytes: longer answers 414
        "CRM_REMEMBER_DAYS": 14,  # a sign-in (and its remember-me cookie) lasts this long
        "CRM_MAX_JSON_DEPTH": 32,  # nesting of a JSON body, checked before it is parsed
        "CRM_APPROVAL_REMIND_HOURS": 24,  # remind approvers after this long (0: never)
        "CRM_SMTP_URL": None,  # smtp://user:pass@host:587?starttls=1 or smtps://; unset: mail waits
        "CRM_MAIL_FROM": None,  # the sender of every mail, "CRM <crm@example.com>"
        "CRM_OUTBOX_MAX_ATTEMPTS": 12,  # tries of an outbox message before it is dead
        "CRM_OUTBOX_BACKOFF_SECONDS": 30,  # pause after the first failed try; doubles each time
        "CRM_OUTBOX_BACKOFF_MAX_SECONDS": 3600,  # the longest pause between two tries
        "CRM_OUTBOX_LEASE_SECONDS": 300,  # a worker's claim on a message it is delivering
        "CRM_OUTBOX_KEEP_DAYS": 30,  # sent messages are deleted after this many days (0: kept)
        "CRM_DEFAULT_TIMEZONE": "Asia/Shanghai",  # users who chose none see times in it
        "CRM_DEMO_LANGUAGE": "zh_CN",  # the words of ``crm seed``'s demo data (zh_CN or en)
        # what an API token signs in as, kept per worker this long (0: read every request);
        # another worker sees a revocation after at most this long (docs/SECURITY.md)
        "CRM_API_TOKEN_CACHE_SECONDS": 5,
        # the key ring of data at rest ("ID:KEY,ID:KEY", the first current; crm_core.crypto):
        # encrypted columns, attachments and sealed credentials. Empty: a key generated into
        # <instance>/encryption_key (sealed credentials keep the one derived from
        # CRM_SECRET_KEY). ``crm keys generate`` prints an entry.
        "CRM_ENCRYPTION_KEY": "",
        # backups (``crm backup``): where they go, how often the beat makes one (hours, 0:
        # never), how many it keeps, and the age key encrypting them (``crm backup key``)
        "CRM_BACKUP_DIR": str(instance / "backups"),
        "CRM_BACKUP_EVERY_HOURS": 24,
        "CRM_BACKUP_KEEP": 7,
        "CRM_BACKUP_KEY": "",
        # who may read /metrics: these networks (comma-separated), or a bearer token
        "CRM_METRICS_ALLOW": "127.0.0.1/32,::1/128",
        "CRM_METRICS_TOKEN": "",
    }


def _flatten_toml(data: dict[str, Any], prefix: str = "CRM_") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key.upper()}"
        if isinstance(value, dict):
            flat.update(_flatten_toml(value, name + "_"))
        else:
            flat[name] = value
    return flat


def read_toml(instance: Path) -> dict[str, Any]:
    """Settings from ``instance/crm.toml``, flattened to ``CRM_*`` names; empty when absent."""
    path = instance / "crm.toml"
    if not path.exists():
        return {}
    try:
        with path.open("rb") as fh:
            return _flatten_toml(tomllib.load(fh))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None


def read_environment(environ: dict[str, str] | os._Environ) -> dict[str, Any]:
    """Every ``CRM_*`` environment variable (the test-only ``CRM_TEST_*`` ones excepted)."""
    return {
        key: value
        for key, value in environ.items()
        if key.startswith("CRM_") and not key.startswith("CRM_TEST_")
    }


def secret_key(instance: Path) -> str:
    """The secret key kept in ``instance/secret_key`` (mode 0600), generated on first use."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    return key


def parse_plugin_list(value: Any) -> list[str] | None:
    """``CRM_PLUGINS`` as a list of names; None means "all"; "" or "none" means the kernel alone."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        names = [str(v).strip() for v in value]
    else:
        text = str(value).strip()
        if text.lower() in ("", "none"):
            return []
        if text.lower() == "all":
            return None
        names = [part.strip() for part in text.split(",")]
    return [name for name in names if name]


def _as_bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{name} must be true or false, not {value!r}")


def _check_url(name: str, value: Any, schemes: tuple[str, ...]) -> str:
    text = str(value or "").strip()
    try:
        url = make_url(text)
    except ArgumentError:
        raise ConfigError(f"{name} is not a valid URL: {text!r}") from None
    if url.drivername.split("+")[0] not in schemes:
        allowed = ", ".join(f"{s}://" for s in schemes)
        raise ConfigError(f"{name} must start with one of {allowed}, not {text!r}")
    return text


def load(overrides: dict[str, Any] | None = None,
         environ: dict[str, str] | os._Environ | None = None) -> dict[str, Any]:
    """Build and validate the effective configuration; raises ConfigError naming the bad value."""
    instance = instance_path((overrides or {}).get("CRM_INSTANCE_PATH"))
    settings = defaults(instance)
    settings["CRM_INSTANCE_PATH"] = str(instance)
    settings.update(read_toml(instance))
    settings.update(read_environment(os.environ if environ is None else environ))
    settings.update(overrides or {})

    settings["CRM_DATABASE_URL"] = _check_url(
        "CRM_DATABASE_URL", settings["CRM_DATABASE_URL"], ("sqlite", "postgresql"))
    settings["CRM_BROKER_URL"] = _check_broker(settings["CRM_BROKER_URL"])
    settings["CRM_PLUGINS"] = parse_plugin_list(settings["CRM_PLUGINS"])
    settings["CRM_STRICT"] = _as_bool("CRM_STRICT", settings["CRM_STRICT"])
    try:
        settings["CRM_READY_TIMEOUT"] = float(settings["CRM_READY_TIMEOUT"])
    except (TypeError, ValueError):
        raise ConfigError(
            f"CRM_READY_TIMEOUT must be a number of seconds, not {settings['CRM_READY_TIMEOUT']!r}"
        ) from None
    if not settings.get("CRM_SECRET_KEY"):
        settings["CRM_SECRET_KEY"] = secret_key(instance)
    return settings


def _check_broker(value: Any) -> str:
    text = str(value or "").strip()
    scheme, sep, _ = text.partition("://")
    if not sep or scheme not in ("sqla+sqlite", "sqla+postgresql", "redis", "rediss", "amqp",
                                 "pyamqp", "memory"):
        raise ConfigError(
            "CRM_BROKER_URL must look like redis://host:6379/0, amqp://host// or "
            f"sqla+sqlite:///path, not {text!r}")
    if scheme.startswith("sqla+"):
        _check_url("CRM_BROKER_URL", text[len("sqla+"):], ("sqlite", "postgresql"))
    return text


def masked(settings: dict[str, Any]) -> dict[str, Any]:
    """A copy fit to print: secret values and URL passwords replaced by ``***``."""
    shown: dict[str, Any] = {}
    for key, value in sorted(settings.items()):
        if not key.startswith("CRM_"):
            continue
        if key.endswith(SECRET_SUFFIXES) and value:
            shown[key] = "***"
        elif key.endswith("_URL") and isinstance(value, str):
            shown[key] = _mask_url(value)
        else:
            shown[key] = value
    return shown


def _mask_url(text: str) -> str:
    prefix = ""
    if text.startswith("sqla+"):
        prefix, text = "sqla+", text[len("sqla+"):]
    try:
        url = make_url(text)
    except ArgumentError:
        return prefix + text
    if url.password:
        return prefix + url.render_as_string(hide_password=True)
    return prefix + text
