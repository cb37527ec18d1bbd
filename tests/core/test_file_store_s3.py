"""Attachments in an S3-compatible bucket (``CRM_FILE_STORE=s3://bucket/prefix``), against a
real S3 server on 127.0.0.1: moto's server mode (``moto[server]``, a test dependency; no
MinIO server installs from Debian, PyPI or npm without a hand download).

An upload lands in the bucket under the prefix and nowhere on the instance's disk; the
download streams the same bytes back with the safe headers; a delete removes the object;
a backup of a bucket instance carries the files and restores into another bucket or into a
plain folder."""

from __future__ import annotations

import hashlib
import socket
from pathlib import Path

import pytest
from attachments_world import PDF, build_world

from crm_core.crypto.keyring import new_key
from crm_core.errors import ConfigError
from crm_core.files import storage
from crm_core.files.stores import LocalStore, build_store
from crm_core.testing import invoke_cli

boto3 = pytest.importorskip("boto3")
moto_server = pytest.importorskip("moto.server")


@pytest.fixture(scope="module")
def s3_endpoint():
    """moto's S3 server on a free port of 127.0.0.1, for this module."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def _bucket(endpoint: str, name: str):
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="crm-test", aws_secret_access_key="crm-test-secret")
    client.create_bucket(Bucket=name)
    return client


# the instances of one test share the key ring encrypting the files (CRM_ENCRYPTION_KEY)
SECRET = new_key("s3tests")


def _settings(endpoint: str, bucket: str) -> dict[str, str]:
    return {"CRM_ENCRYPTION_KEY": SECRET, "CRM_FILE_STORE": f"s3://{bucket}/crm/files",
            "CRM_S3_ENDPOINT_URL": endpoint,
            "CRM_S3_REGION": "us-east-1", "CRM_S3_ACCESS_KEY": "crm-test",
            "CRM_S3_SECRET_KEY": "crm-test-secret"}


def _objects(client, bucket: str) -> list[str]:
    answer = client.list_objects_v2(Bucket=bucket)
    return sorted(item["Key"] for item in answer.get("Contents", []))


def _disk_files(app) -> list[Path]:
    root = Path(app.config["CRM_FILES_DIR"])
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def test_an_attachment_lives_in_the_bucket_and_comes_back_byte_for_byte(crm_make_app,
                                                                         s3_endpoint):
    client = _bucket(s3_endpoint, "crm-attachments")
    world = build_world(crm_make_app(plugins=["customers"],
                                     **_settings(s3_endpoint, "crm-attachments")))
    uploaded = world.upload("sales", "East", PDF, "offer.pdf")
    assert uploaded.status_code == 201, uploaded.get_json()
    item = uploaded.get_json()
    sha = hashlib.sha256(PDF).hexdigest()
    assert _objects(client, "crm-attachments") == [f"crm/files/{sha[:2]}/{sha[2:4]}/{sha}"]
    assert _disk_files(world.app) == []  # nothing kept on this box's disk

    download = world.app.test_client().get(item["content_url"], headers=world.api("sales"))
    assert download.status_code == 200
    assert download.data == PDF
    assert download.headers["Content-Disposition"] == 'attachment; filename="offer.pdf"'
    assert "sandbox" in download.headers["Content-Security-Policy"]

    deleted = world.app.test_client().delete(f"/api/v1/attachments/{item['id']}",
                                             headers=world.api("sales"))
    assert deleted.status_code == 204
    assert _objects(client, "crm-attachments") == []


def test_a_missing_object_answers_404_not_500(crm_make_app, s3_endpoint):
    client = _bucket(s3_endpoint, "crm-missing")
    world = build_world(crm_make_app(plugins=["customers"],
                                     **_settings(s3_endpoint, "crm-missing")))
    item = world.upload("sales", "East", PDF, "offer.pdf").get_json()
    for key in _objects(client, "crm-missing"):
        client.delete_object(Bucket="crm-missing", Key=key)
    download = world.app.test_client().get(item["content_url"], headers=world.api("sales"))
    assert download.status_code == 404


def test_a_backup_of_a_bucket_restores_into_another_bucket_and_into_a_folder(
        crm_make_app, s3_endpoint, tmp_path):
    _bucket(s3_endpoint, "crm-source")
    source = build_world(crm_make_app(plugins=["customers"],
                                      **_settings(s3_endpoint, "crm-source")))
    item = source.upload("sales", "East", PDF, "contract.pdf").get_json()
    made = invoke_cli(source.app, "backup", "create", "--to", str(tmp_path))
    assert made.exit_code == 0, made.output
    backup = Path(made.output.strip().splitlines()[-1])

    target_client = _bucket(s3_endpoint, "crm-target")
    into_bucket = crm_make_app(plugins=["customers"], migrate=False,
                               **_settings(s3_endpoint, "crm-target"))
    restored = invoke_cli(into_bucket, "backup", "restore", str(backup))
    assert restored.exit_code == 0, restored.output
    assert len(_objects(target_client, "crm-target")) == 1
    into_folder = crm_make_app(plugins=["customers"], migrate=False, CRM_ENCRYPTION_KEY=SECRET)
    restored = invoke_cli(into_folder, "backup", "restore", str(backup))
    assert restored.exit_code == 0, restored.output
    assert len(_disk_files(into_folder)) == 1

    for app in (into_bucket, into_folder):  # the restored instances read the file back
        with app.test_request_context():
            blocks = storage.open_plain(item["sha256"])
            assert blocks is not None and b"".join(blocks) == PDF


def test_a_wrong_store_setting_stops_the_start_with_a_clear_message(crm_make_app):
    app = crm_make_app(plugins=[])
    app.config["CRM_FILE_STORE"] = "s3:///no-bucket"
    with pytest.raises(ConfigError, match="names no bucket"):
        build_store(app)
    app.config["CRM_FILE_STORE"] = "ftp://files.example.com"
    with pytest.raises(ConfigError, match="s3://bucket/prefix"):
        build_store(app)
    app.config["CRM_FILE_STORE"] = ""
    assert isinstance(build_store(app), LocalStore)
