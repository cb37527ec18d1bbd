"""The bytes of attachments: one file per content hash under ``CRM_FILES_DIR``.

A file whose SHA-256 is ``ab12…`` lives at ``<CRM_FILES_DIR>/ab/12/ab12…``; identical bytes
are stored once, however many records they are attached to. An upload is streamed to a
temporary file in the same folder (hashed and counted as it is copied, never held in
memory), then moved into place with an atomic rename, so a reader never sees half a file.
Nothing here knows about rows: ``service.py`` decides when a stored file is no longer used.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask import current_app

CHUNK = 64 * 1024
MEGABYTE = 1024 * 1024
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class TooLarge(Exception):
    """The upload passed the size limit; nothing was kept."""


@dataclass(frozen=True)
class Received:
    """An upload copied to a temporary file: its path, hash and size."""

    path: Path
    sha256: str
    size: int


def files_dir() -> Path:
    """The folder of stored files (``CRM_FILES_DIR``), created when missing."""
    folder = current_app.config.get("CRM_FILES_DIR") or Path(
        current_app.config["CRM_INSTANCE_PATH"]) / "files"
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    return path


def max_upload_mb() -> float:
    """The size limit of one file in megabytes: ``CRM_MAX_UPLOAD_MB`` (default 20)."""
    return float(current_app.config.get("CRM_MAX_UPLOAD_MB") or 20)


def max_upload_bytes() -> int:
    """The size limit of one file in bytes."""
    return int(max_upload_mb() * MEGABYTE)


def blob_path(sha256: str) -> Path:
    """Where the bytes with this hash are (or would be) stored."""
    if not _SHA256.match(sha256):
        raise ValueError("not a SHA-256 hex digest")
    return files_dir() / sha256[:2] / sha256[2:4] / sha256


@contextmanager
def receive(stream: BinaryIO, limit: int) -> Iterator[Received]:
    """Copy ``stream`` to a temporary file, hashing it; raise TooLarge past ``limit`` bytes.

    The temporary file is removed when the block ends unless ``keep`` moved it away.
    """
    folder = files_dir() / "incoming"
    folder.mkdir(exist_ok=True)
    digest, size = hashlib.sha256(), 0
    handle, name = tempfile.mkstemp(dir=folder, prefix="upload-")
    path = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            while block := stream.read(CHUNK):
                size += len(block)
                if size > limit:
                    raise TooLarge()
                digest.update(block)
                out.write(block)
        yield Received(path, digest.hexdigest(), size)
    finally:
        path.unlink(missing_ok=True)


def keep(received: Received) -> Path:
    """Move a received file to its place (``blob_path``); a file of the same bytes already
    there is simply replaced by the identical new copy."""
    target = blob_path(received.sha256)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(received.path, target)
    return target


def stored(sha256: str) -> Path | None:
    """The stored file of ``sha256``, or None when it is missing."""
    path = blob_path(sha256)
    return path if path.is_file() else None


def discard(sha256: str) -> None:
    """Remove the stored file of ``sha256`` (the caller checked that no row uses it)."""
    blob_path(sha256).unlink(missing_ok=True)

