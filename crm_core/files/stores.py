"""Where stored files' bytes live: a folder (``CRM_FILES_DIR``, a local disk or a mounted
share) or an S3-compatible bucket (``CRM_FILE_STORE=s3://bucket/prefix``, ``s3.py``).

Both are a ``FileStore``: ``save`` a stream (or move a finished local file in), ``open`` a
stream, ``delete``, ``exists`` and ``keys`` (for backups), by key (``ab/12/ab12…``, the same
layout in a folder and in a bucket, so a backup of one restores into the other). Everything
is streamed, never read whole; a layer such as encryption wraps the streams.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

from flask import Flask, current_app

from ..errors import ConfigError

EXTENSION = "crm_file_store"
CHUNK = 1024 * 1024


class FileStore(Protocol):
    """The bytes of stored files, by key (``ab/12/<sha256>``)."""

    #: True for a store other boxes reach over the network (an S3 bucket)
    remote: bool

    def save(self, key: str, stream: BinaryIO) -> None:
        """Store the rest of ``stream`` under ``key`` (replacing what was there), whole or
        not at all: a reader never sees half a file."""

    def save_file(self, key: str, path: Path) -> None:
        """Store the local file ``path`` under ``key``; the file may be moved away."""

    def open(self, key: str) -> BinaryIO:
        """A stream of the bytes under ``key`` (the caller closes it); FileNotFoundError
        when there are none."""

    def delete(self, key: str) -> None:
        """Remove the bytes under ``key`` (nothing when there are none)."""

    def exists(self, key: str) -> bool:
        """Whether bytes are stored under ``key``."""

    def keys(self) -> Iterator[str]:
        """Every stored key (for backups)."""


class LocalStore:
    """Files in a folder: ``<root>/ab/12/<sha256>``, written by an atomic rename."""

    remote = False

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        """Where ``key`` lives (the key was checked by the caller)."""
        return self.root / key

    def _incoming(self) -> Path:
        folder = self.root / "incoming"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def save(self, key: str, stream: BinaryIO) -> None:
        handle, name = tempfile.mkstemp(dir=self._incoming(), prefix="save-")
        staged = Path(name)
        try:
            with os.fdopen(handle, "wb") as out:
                shutil.copyfileobj(stream, out, CHUNK)
            self.save_file(key, staged)
        finally:
            staged.unlink(missing_ok=True)

    def save_file(self, key: str, path: Path) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)

    def open(self, key: str) -> BinaryIO:
        return self.path(key).open("rb")

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def keys(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for item in sorted(self.root.rglob("*")):
            if item.is_file() and not item.relative_to(self.root).parts[0] == "incoming":
                yield item.relative_to(self.root).as_posix()


def build_store(app: Flask) -> FileStore:
    """The store ``app``'s configuration names: ``CRM_FILE_STORE`` (``s3://bucket/prefix``)
    or, when it is empty, the folder ``CRM_FILES_DIR``."""
    where = str(app.config.get("CRM_FILE_STORE") or "").strip()
    if not where or where.startswith(("file:", "/")):
        folder = where.removeprefix("file://").removeprefix("file:") or app.config.get(
            "CRM_FILES_DIR") or Path(app.config["CRM_INSTANCE_PATH"]) / "files"
        return LocalStore(Path(folder))
    if where.startswith("s3://"):
        from .s3 import S3Store

        return S3Store.from_config(where, app.config)
    raise ConfigError(f"CRM_FILE_STORE must be empty (the folder CRM_FILES_DIR) or "
                      f"s3://bucket/prefix, not {where!r}")


def file_store(app: Flask | None = None) -> FileStore:
    """The running app's store (built once per process)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    store = app.extensions.get(EXTENSION)
    if store is None:
        store = app.extensions[EXTENSION] = build_store(app)
    return store


def copy_out(store: FileStore, folder: Path) -> int:
    """Copy every stored file of ``store`` into ``folder`` (by key); returns how many."""
    count = 0
    for key in store.keys():
        target = folder / key
        target.parent.mkdir(parents=True, exist_ok=True)
        with store.open(key) as source, target.open("wb") as out:
            shutil.copyfileobj(source, out, CHUNK)
        count += 1
    return count


def copy_in(store: FileStore, folder: Path) -> int:
    """Store every file under ``folder`` in ``store`` by its relative path; returns how
    many. Files already stored under other keys stay (content-addressed: unused bytes are
    harmless)."""
    count = 0
    if not folder.is_dir():
        return 0
    for item in sorted(folder.rglob("*")):
        if item.is_file():
            store.save_file(item.relative_to(folder).as_posix(), item)
            count += 1
    return count
