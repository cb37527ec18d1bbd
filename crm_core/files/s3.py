"""Stored files in an S3-compatible bucket (AWS S3, MinIO, Ceph RGW, Aliyun OSS, Tencent COS…)
through boto3, the maintained AWS SDK.

``CRM_FILE_STORE=s3://bucket/prefix`` selects it; ``CRM_S3_ENDPOINT_URL`` points at a
server other than AWS (``http://minio.internal:9000``), ``CRM_S3_REGION``,
``CRM_S3_ACCESS_KEY`` and ``CRM_S3_SECRET_KEY`` sign the requests (unset: boto3's usual
chain, ``AWS_*`` variables or an instance role), ``CRM_S3_ADDRESSING_STYLE`` is ``path``
(the default, what MinIO expects) or ``virtual``. Uploads stream in parts
(``upload_fileobj``); a download is the object's body, read in chunks as it is sent.
boto3 is an optional dependency: ``pip install crm-platform[s3]``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from ..errors import ConfigError

_MISSING = ("NoSuchKey", "404", "NotFound")


class S3Store:
    """Files as objects ``<prefix>/ab/12/<sha256>`` of one bucket."""

    remote = True

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self.client, self.bucket = client, bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""

    @classmethod
    def from_config(cls, where: str, config: Mapping[str, Any]) -> S3Store:
        """The store of ``s3://bucket/prefix`` with the ``CRM_S3_*`` settings."""
        try:
            import boto3
            from botocore.config import Config
        except ImportError:
            raise ConfigError("CRM_FILE_STORE is an s3:// address but boto3 is not installed: "
                              "pip install 'crm-platform[s3]'") from None
        parts = urlsplit(where)
        if not parts.netloc:
            raise ConfigError(f"CRM_FILE_STORE {where!r} names no bucket (s3://bucket/prefix)")
        style = str(config.get("CRM_S3_ADDRESSING_STYLE") or "path")
        if style not in ("path", "virtual", "auto"):
            raise ConfigError("CRM_S3_ADDRESSING_STYLE must be path, virtual or auto")
        client = boto3.session.Session().client(
            "s3", endpoint_url=config.get("CRM_S3_ENDPOINT_URL") or None,
            region_name=config.get("CRM_S3_REGION") or None,
            aws_access_key_id=config.get("CRM_S3_ACCESS_KEY") or None,
            aws_secret_access_key=config.get("CRM_S3_SECRET_KEY") or None,
            config=Config(s3={"addressing_style": style}, connect_timeout=5, read_timeout=60,
                          retries={"max_attempts": 5, "mode": "standard"}))
        return cls(client, parts.netloc, parts.path)

    def _key(self, key: str) -> str:
        return self.prefix + key

    def save(self, key: str, stream: BinaryIO) -> None:
        # upload_fileobj sends large streams in parts; S3 makes the object visible only
        # when the whole upload completes, so a reader never sees half a file
        self.client.upload_fileobj(stream, self.bucket, self._key(key))

    def save_file(self, key: str, path: Path) -> None:
        self.client.upload_file(str(path), self.bucket, self._key(key))

    def open(self, key: str) -> BinaryIO:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except self.client.exceptions.NoSuchKey:
            raise FileNotFoundError(key) from None
        except Exception as error:  # botocore's ClientError for a 404 without a code
            if _code(error) in _MISSING:
                raise FileNotFoundError(key) from None
            raise
        return answer["Body"]  # type: ignore[no-any-return]

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except Exception as error:
            if _code(error) in _MISSING:
                return False
            raise
        return True

    def keys(self) -> Iterator[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix)
        for page in pages:
            for item in page.get("Contents", []):
                key = item["Key"][len(self.prefix):]
                if key and not key.startswith("incoming/"):
                    yield key


def _code(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))
