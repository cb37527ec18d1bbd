"""Encryption at rest in the kernel: the key ring's format and its key file, attachments that
are encrypted on disk yet download as they went in (and older plain files still download),
rotation of attachments to a new key, a missing key answering 503, sealing under ``ID:KEY``
entries, and backups that still create and verify with encrypted attachments."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from attachments_world import PDF, build_world

from crm_core.crypto.keyring import KEY_FILE, new_key, parse
from crm_core.errors import ConfigError
from crm_core.testing import invoke_cli

SECRET_TEXT = "身份证 11010519491231002X 的复印件, account 6222021234567890123. " * 40


def _stored(app) -> list[Path]:
    root = Path(app.config["CRM_FILES_DIR"])
    return sorted(path for path in root.glob("??/??/*") if path.is_file())


def test_the_key_ring_reads_ids_and_bare_keys_and_names_what_is_wrong():
    first, second = new_key("2027a"), new_key("2026a")
    bare = second.split(":", 1)[1]
    ring = parse(f"{first}, {bare}")
    assert ring.current.id == "2027a"
    assert ring.ids[1].startswith("k") and ring.get(ring.ids[1]).fernet == bare
    with pytest.raises(ConfigError, match="not 32 bytes"):
        parse("x1:too-short")
    with pytest.raises(ConfigError, match="twice"):
        parse(f"{first},{first}")
    with pytest.raises(ConfigError, match="key id"):
        parse("bad id!:" + bare)


def test_a_malformed_key_stops_the_app_with_one_clear_line(crm_make_app):
    with pytest.raises(ConfigError, match="CRM_ENCRYPTION_KEY"):
        crm_make_app(plugins=[], migrate=False, CRM_ENCRYPTION_KEY="k1:nonsense")


def test_keys_generate_prints_an_entry_the_ring_accepts(crm_make_app):
    app = crm_make_app(plugins=[], migrate=False)
    result = invoke_cli(app, "keys", "generate", "--id", "2027a")
    assert result.exit_code == 0, result.output
    entry = result.output.strip()
    assert parse(entry).current.id == "2027a"
    assert invoke_cli(app, "keys", "generate", "--id", "no spaces").exit_code == 2


def test_without_a_key_one_is_kept_in_the_instance_folder_and_reused(crm_make_app):
    app = crm_make_app(plugins=[], migrate=False)
    from crm_core.crypto.cipher import decrypt_text, encrypt_text

    with app.app_context():
        sealed = encrypt_text("secret", "test")
    path = Path(app.config["CRM_INSTANCE_PATH"]) / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sealed.startswith("enc1:local:")
    again = crm_make_app(plugins=[], migrate=False,
                         CRM_INSTANCE_PATH=app.config["CRM_INSTANCE_PATH"])
    with again.app_context():
        assert decrypt_text(sealed, "test") == "secret"


def test_sealing_accepts_ring_entries(crm_make_app):
    from crm_core.toolkit import seal, unseal

    old, new = new_key("old"), new_key("new")
    with crm_make_app(plugins=[], migrate=False, CRM_ENCRYPTION_KEY=old).app_context():
        sealed = seal("飞书 app secret")
    with crm_make_app(plugins=[], migrate=False,
                      CRM_ENCRYPTION_KEY=f"{new},{old}").app_context():
        assert unseal(sealed) == "飞书 app secret"


def test_an_attachment_is_encrypted_on_disk_and_downloads_as_it_went_in(crm_make_app):
    world = build_world(crm_make_app(plugins=["customers"]))
    data = SECRET_TEXT.encode("utf-8")
    item = world.upload("sales", "East", data, "copy.txt").get_json()
    [stored] = _stored(world.app)
    on_disk = stored.read_bytes()
    assert b"11010519491231002X" not in on_disk and b"6222021234567890123" not in on_disk
    assert on_disk.startswith(b"\x00CRM-ENC\x01")
    download = world.app.test_client().get(item["content_url"], headers=world.api("sales"))
    assert download.status_code == 200 and download.data == data
    assert download.headers["Content-Length"] == str(len(data))
    again = world.app.test_client().get(item["content_url"], headers={
        **world.api("sales"), "If-None-Match": download.headers["ETag"]})
    assert again.status_code == 304
    # a file stored before encryption (plain bytes) still downloads
    stored.write_bytes(data)
    legacy = world.app.test_client().get(item["content_url"], headers=world.api("sales"))
    assert legacy.status_code == 200 and legacy.data == data


def test_a_large_attachment_round_trips_in_chunks(crm_make_app):
    world = build_world(crm_make_app(plugins=["customers"]))
    data = os.urandom(300 * 1024) + b"%PDF"  # several 64 KiB chunks, an odd tail
    item = world.upload("sales", "East", PDF + data, "big.pdf").get_json()
    download = world.app.test_client().get(item["content_url"], headers=world.api("sales"))
    assert download.data == PDF + data


def test_rotation_re_encrypts_attachments_and_a_missing_key_answers_503(crm_make_app):
    old, new = new_key("old"), new_key("new")
    app = crm_make_app(plugins=["customers"], CRM_ENCRYPTION_KEY=old)
    world = build_world(app)
    item = world.upload("sales", "East", SECRET_TEXT.encode(), "copy.txt").get_json()
    [stored] = _stored(app)
    world.upload("sales", "East", b"plain old notes", "old.txt")
    [legacy] = [path for path in _stored(app) if path != stored]
    legacy.write_bytes(b"plain old notes")  # a file from before encryption: rotated too
    app.config["CRM_ENCRYPTION_KEY"] = new
    response = app.test_client().get(item["content_url"], headers=world.api("sales"))
    assert response.status_code == 503
    assert "old" in response.get_json()["detail"]
    app.config["CRM_ENCRYPTION_KEY"] = f"{new},{old}"
    result = invoke_cli(app, "keys", "rotate", "--now")
    assert result.exit_code == 0, result.output
    assert "2 files" in result.output
    assert legacy.read_bytes().startswith(b"\x00CRM-ENC\x01\x03new")
    assert stored.read_bytes().startswith(b"\x00CRM-ENC\x01\x03new")
    app.config["CRM_ENCRYPTION_KEY"] = new
    download = app.test_client().get(item["content_url"], headers=world.api("sales"))
    assert download.status_code == 200 and download.data == SECRET_TEXT.encode()


def test_keys_rotate_queues_a_kernel_job(crm_make_app):
    app = crm_make_app(plugins=["customers"])
    result = invoke_cli(app, "keys", "rotate")
    assert result.exit_code == 0, result.output
    assert "Queued job" in result.output
    from sqlalchemy import select

    from crm_core.db import get_session
    from crm_core.jobs.models import Job

    with app.app_context():
        job = get_session().scalar(select(Job).order_by(Job.id.desc()))
        assert job.task == "core.keys_rotate"


def test_backups_create_and_verify_with_encrypted_attachments(crm_make_app, tmp_path):
    app = crm_make_app(plugins=["customers"], CRM_ENCRYPTION_KEY=new_key("b1"))
    world = build_world(app)
    world.upload("sales", "East", SECRET_TEXT.encode(), "copy.txt")
    created = invoke_cli(app, "backup", "create", "--to", str(tmp_path))
    assert created.exit_code == 0, created.output
    backup = created.output.strip().splitlines()[-1]
    assert b"11010519491231002X" not in Path(backup).read_bytes()
    verified = invoke_cli(app, "backup", "verify", backup)
    assert verified.exit_code == 0, verified.output


def test_the_rotation_job_runs_on_a_worker_with_progress(crm_make_app, crm_start_worker):
    import time

    from sqlalchemy import select

    from crm_core.jobs.models import Job

    old, new = new_key("old"), new_key("new")
    app = crm_make_app(plugins=["customers"], CRM_ENCRYPTION_KEY=old)
    world = build_world(app)
    world.upload("sales", "East", SECRET_TEXT.encode(), "copy.txt")
    app.config["CRM_ENCRYPTION_KEY"] = f"{new},{old}"
    assert "Queued job" in invoke_cli(app, "keys", "rotate").output
    crm_start_worker(app)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with app.app_context():
            session = app.extensions["crm_db"].new_session()
            job = session.scalar(select(Job).where(Job.task == "core.keys_rotate"))
            session.close()
        if job.state in ("done", "failed"):
            break
        time.sleep(0.5)
    assert (job.state, job.progress) == ("done", 100), job.error
    [stored] = _stored(app)
    assert stored.read_bytes().startswith(b"\x00CRM-ENC\x01\x03new")
