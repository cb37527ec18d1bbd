"""Encrypting byte streams (attachments) with the key ring, chunk by chunk, never whole.

Layout: ``MAGIC``, one byte giving the key id's length, the key id, an 8-byte random prefix,
then records of a 4-byte big-endian length and an AES-256-GCM chunk (at most ``CHUNK``
plain bytes each). Chunk ``n``'s nonce is the prefix plus ``n``; its associated data says
whether it is the last one, so a file cut short or with chunks swapped does not decrypt.

These functions know nothing of where bytes are kept: the file store (a folder, or an
S3-compatible bucket) stores what ``encrypt_stream`` writes and hands ``decrypt_stream`` what
it reads. A stream that does not start with ``MAGIC`` is a file stored before encryption and
is passed through unchanged.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask_babel import lazy_gettext as _l

from .cipher import KeyUnavailable, ring

MAGIC = b"\x00CRM-ENC\x01"
CHUNK = 64 * 1024
_LAST, _MORE = b"last", b"more"


def _nonce(prefix: bytes, counter: int) -> bytes:
    return prefix + struct.pack(">I", counter)


def encrypt_stream(source: BinaryIO, target: BinaryIO) -> int:
    """Write ``source``'s bytes to ``target`` encrypted under the current key; returns the
    number of bytes written."""
    key = ring().current
    aead, prefix, key_id = AESGCM(key.file_key), os.urandom(8), key.id.encode("ascii")
    header = MAGIC + bytes([len(key_id)]) + key_id + prefix
    target.write(header)
    written, counter = len(header), 0
    block = source.read(CHUNK)
    while True:
        following = source.read(CHUNK) if block else b""
        last = not following
        sealed = aead.encrypt(_nonce(prefix, counter), block, _LAST if last else _MORE)
        target.write(struct.pack(">I", len(sealed)) + sealed)
        written += 4 + len(sealed)
        if last:
            return written
        block, counter = following, counter + 1


def _read_exact(source: BinaryIO, size: int) -> bytes:
    data = b""
    while len(data) < size:
        more = source.read(size - len(data))
        if not more:
            break
        data += more
    return data


def _damaged(key_id: str) -> KeyUnavailable:
    return KeyUnavailable(_l(
        "A stored file cannot be decrypted with the key \"%(key)s\" of CRM_ENCRYPTION_KEY: the "
        "key is not the one it was encrypted with, or the file was damaged.", key=key_id))


def decrypt_stream(source: BinaryIO, chunk: int = CHUNK) -> Iterator[bytes]:
    """The plain bytes of ``source`` (encrypted by ``encrypt_stream``, or stored before
    encryption), in blocks. Raises KeyUnavailable when the key is missing or wrong, before
    the first block for a missing key."""
    head = _read_exact(source, len(MAGIC))
    if head != MAGIC:
        yield from _plain(head, source, chunk)
        return
    size = _read_exact(source, 1)
    key_id = _read_exact(source, size[0] if size else 0).decode("ascii", "replace")
    key = ring().get(key_id)
    if key is None:
        raise KeyUnavailable(_l(
            "A stored file is encrypted with the key \"%(key)s\", which CRM_ENCRYPTION_KEY "
            "does not hold. An administrator must add that key.", key=key_id[:32]))
    aead, prefix, counter = AESGCM(key.file_key), _read_exact(source, 8), 0
    while True:
        length = _read_exact(source, 4)
        if len(length) != 4:
            raise _damaged(key_id)
        sealed = _read_exact(source, struct.unpack(">I", length)[0])
        try:
            plain = aead.decrypt(_nonce(prefix, counter), sealed, _MORE)
            last = False
        except InvalidTag:
            try:
                plain = aead.decrypt(_nonce(prefix, counter), sealed, _LAST)
            except InvalidTag:
                raise _damaged(key_id) from None
            last = True
        if plain:
            yield plain
        if last:
            return
        counter += 1


def _plain(head: bytes, source: BinaryIO, chunk: int) -> Iterator[bytes]:
    if head:
        yield head
    while block := source.read(chunk):
        yield block


def key_id_of_stream(source: BinaryIO) -> str | None:
    """The id of the key a stored stream was encrypted with; None when it is plain."""
    if _read_exact(source, len(MAGIC)) != MAGIC:
        return None
    size = _read_exact(source, 1)
    return _read_exact(source, size[0] if size else 0).decode("ascii", "replace")


def encrypt_file(path: os.PathLike[str] | str | BinaryIO,
                 target: os.PathLike[str] | str) -> None:
    """Encrypt the file ``path`` (or an open binary stream) into ``target`` (written next to
    it, then renamed into place, so a reader never sees half a file)."""
    temporary = f"{os.fspath(target)}.{os.getpid()}.part"
    try:
        with open(temporary, "wb") as out:
            if hasattr(path, "read"):
                encrypt_stream(path, out)  # type: ignore[arg-type]
            else:
                with open(path, "rb") as source:  # type: ignore[arg-type]
                    encrypt_stream(source, out)
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
