"""The bytes of attachments: one file per content hash under ``CRM_FILES_DIR``.

A file whose SHA-256 is ``ab12…`` lives at ``<CRM_FILES_DIR>/ab/12/ab12…``; identical bytes
are stored once, however many records they are attached to. An upload is streamed to a
temporary file in the same folder (hashed and counted as it is copied, never held in
memory), then encrypted into place with the key ring (``crm_core.crypto.streams``) and an
atomic rename, so a reader never sees half a file; ``open_plain`` reads it back decrypted.
Nothing here knows about rows: ``service.py`` decides when a stored file is no longer used.
Where the bytes end up is the configured ``stores.FileStore``: this folder, or an S3 bucket
(``CRM_FILE_STORE``), under the same key ``ab/12/ab12…``.
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

from ..crypto.streams import decrypt_stream, encrypt_file
from .stores import file_store

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


def blob_key(sha256: str) -> str:
    """The store's key of the bytes with this hash: ``ab/12/ab12…``."""
    if not _SHA256.match(sha256):
        raise ValueError("not a SHA-256 hex digest")
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"


def blob_path(sha256: str) -> Path:
    """Where the bytes with this hash are (or would be) stored in the folder store."""
    return files_dir() / blob_key(sha256)


def incoming_dir() -> Path:
    """Where uploads are received: beside the stored files (a rename moves them in), or
    the instance's own disk when the store is a bucket."""
    if file_store().remote:
        folder = Path(current_app.config["CRM_INSTANCE_PATH"]) / "tmp" / "incoming"
    else:
        folder = files_dir() / "incoming"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextmanager
def receive(stream: BinaryIO, limit: int) -> Iterator[Received]:
    """Copy ``stream`` to a temporary file, hashing it; raise TooLarge past ``limit`` bytes.

    The temporary file is removed when the block ends unless ``keep`` moved it away.
    """
    folder = incoming_dir()
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
    """Encrypt a received file into the store under ``blob_key`` (the folder store's path is
    returned); a file of the same bytes already there is simply replaced by an identical
    new copy."""
    sealed = received.path.with_name(received.path.name + ".sealed")
    try:  # encrypted at rest with the key ring (crm_core.crypto), then moved into the store
        encrypt_file(received.path, sealed)
        file_store().save_file(blob_key(received.sha256), sealed)
    finally:
        sealed.unlink(missing_ok=True)
    return blob_path(received.sha256)


def stored(sha256: str) -> Path | None:
    """The stored file of ``sha256`` in the folder store, or None when it is missing (or
    the store is a bucket: use ``open_blob``)."""
    if file_store().remote:
        return None
    path = blob_path(sha256)
    return path if path.is_file() else None


def open_plain(sha256: str) -> Iterator[bytes] | None:
    """The plain bytes of the stored file of ``sha256`` in blocks (decrypted; a file stored
    before encryption is read as is), or None when it is missing. Raises KeyUnavailable,
    before the first block, when its key is not in the ring."""
    handle = open_blob(sha256)
    if handle is None:
        return None
    blocks = decrypt_stream(handle)
    try:
        first = next(blocks, b"")
    except Exception:
        handle.close()
        raise

    def stream() -> Iterator[bytes]:
        with handle:
            if first:
                yield first
            yield from blocks
    return stream()


def open_blob(sha256: str) -> BinaryIO | None:
    """A stream of the stored (encrypted) bytes of ``sha256``; None when missing."""
    try:
        return file_store().open(blob_key(sha256))
    except FileNotFoundError:
        return None


def discard(sha256: str) -> None:
    """Remove the stored file of ``sha256`` (the caller checked that no row uses it)."""
    file_store().delete(blob_key(sha256))

