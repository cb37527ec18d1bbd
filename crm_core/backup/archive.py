"""One backup file: writing it, opening it (decrypting when it is encrypted) and reading
its manifest.

Layout of the tar: ``database.sqlite`` or ``database.pgdump``, ``files/…`` (attachments),
``jobs/…`` (job results), then ``manifest.json`` with a SHA-256 of every other member. The
tar is not compressed: a SQLite file restores at disk speed, and a PostgreSQL dump is
compressed already.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyrage

from .database import BackupError

__all__ = ["AGE_MAGIC", "MANIFEST", "DATABASE_MEMBERS", "BackupWriter", "opened",
           "read_manifest", "check_members", "backup_name", "decrypting_identity",
           "encrypting_recipient"]

MANIFEST = "manifest.json"
DATABASE_MEMBERS = {"sqlite": "database.sqlite", "postgresql": "database.pgdump"}
AGE_MAGIC = b"age-encryption.org/v1"
FORMAT = 1
_CHUNK = 1024 * 1024


def backup_name(now: dt.datetime, encrypted: bool) -> str:
    """``crm-backup-20261206-134501.tar`` (``.tar.age`` when encrypted)."""
    return f"crm-backup-{now:%Y%m%d-%H%M%S}.tar" + (".age" if encrypted else "")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def encrypting_recipient(key: str | None) -> Any:
    """The age recipient backups are encrypted to: ``CRM_BACKUP_KEY`` is an identity
    (``AGE-SECRET-KEY-1…``, it can also restore) or only a recipient (``age1…``: this box
    can write backups it cannot read). None without a key."""
    if not key:
        return None
    key = key.strip()
    try:
        if key.startswith("age1"):
            return pyrage.x25519.Recipient.from_str(key)
        return pyrage.x25519.Identity.from_str(key).to_public()
    except (pyrage.IdentityError, pyrage.RecipientError, ValueError):
        raise BackupError("CRM_BACKUP_KEY is not an age key (make one with "
                          "'crm backup key').") from None


def decrypting_identity(key: str | None) -> Any:
    """The age identity that opens encrypted backups (``CRM_BACKUP_KEY``)."""
    if not key or not key.strip().startswith("AGE-SECRET-KEY-1"):
        raise BackupError("This backup is encrypted: set CRM_BACKUP_KEY to the secret key "
                          "(AGE-SECRET-KEY-1…) it was made with.")
    try:
        return pyrage.x25519.Identity.from_str(key.strip())
    except (pyrage.IdentityError, ValueError):
        raise BackupError("CRM_BACKUP_KEY is not an age secret key.") from None


class BackupWriter:
    """Adds members to a new tar and writes the manifest with their checksums last."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.checksums: dict[str, str] = {}
        self._tar = tarfile.open(path, "w", format=tarfile.PAX_FORMAT)

    def add_file(self, source: Path, name: str) -> None:
        """Add the file ``source`` as member ``name``."""
        self.checksums[name] = _sha256(source)
        self._tar.add(source, arcname=name, recursive=False)

    def add_tree(self, folder: Path, prefix: str) -> int:
        """Add every file under ``folder`` as ``prefix/<relative path>``; how many."""
        if not folder.is_dir():
            return 0
        count = 0
        for source in sorted(folder.rglob("*")):
            if source.is_file() and not source.is_symlink():
                self.add_file(source, f"{prefix}/{source.relative_to(folder).as_posix()}")
                count += 1
        return count

    def finish(self, manifest: dict[str, Any]) -> None:
        """Write ``manifest`` (with the checksums and format) and close the tar."""
        body = json.dumps({**manifest, "format": FORMAT, "checksums": self.checksums},
                          ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")
        with tempfile.NamedTemporaryFile() as handle:
            handle.write(body)
            handle.flush()
            self._tar.add(handle.name, arcname=MANIFEST, recursive=False)
        self._tar.close()

    def abort(self) -> None:
        """Close and delete a half-written tar."""
        self._tar.close()
        self.path.unlink(missing_ok=True)


def _is_encrypted(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(len(AGE_MAGIC)) == AGE_MAGIC


@contextmanager
def opened(path: Path, key: str | None, scratch: Path) -> Iterator[tarfile.TarFile]:
    """The backup's tar, decrypted into ``scratch`` first when it is encrypted."""
    if not path.is_file():
        raise BackupError(f"There is no backup file {path.name}.")
    source = path
    if _is_encrypted(path):
        source = scratch / "backup.tar"
        try:
            pyrage.decrypt_file(str(path), str(source), [decrypting_identity(key)])
        except pyrage.DecryptError:
            raise BackupError("This backup cannot be decrypted with CRM_BACKUP_KEY (another "
                              "key, or a damaged file).") from None
    try:
        archive = tarfile.open(source, "r:")
    except tarfile.TarError:
        raise BackupError(f"{path.name} is not a backup (not a tar file).") from None
    with archive:
        yield archive


def read_manifest(archive: tarfile.TarFile) -> dict[str, Any]:
    """The manifest of an opened backup; BackupError when it is missing or not ours."""
    try:
        member = archive.getmember(MANIFEST)
        handle = archive.extractfile(member)
        manifest = json.loads(handle.read()) if handle else None
    except (KeyError, ValueError, tarfile.TarError):
        manifest = None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("The backup has no readable manifest: it is damaged or not a "
                          "CRM backup.")
    return manifest


def check_members(folder: Path, manifest: dict[str, Any]) -> list[str]:
    """The members extracted into ``folder`` whose SHA-256 differs from the manifest's (or
    that are missing)."""
    wrong = []
    for name, expected in sorted(manifest.get("checksums", {}).items()):
        member = folder / name
        if not member.is_file() or _sha256(member) != expected:
            wrong.append(name)
    return wrong
