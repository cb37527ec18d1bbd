"""`crm serve` on an address something else listens on stops at once and says so (each
gunicorn worker binds the port itself, ``--reuse-port``: left to them, they would retry one
after the other for ever)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys


def test_serve_on_a_taken_port_fails_at_once_naming_the_address(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("CRM_")}
    env.update({"CRM_INSTANCE_PATH": str(tmp_path), "CRM_PLUGINS": ""})
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "crm_core.cli", "serve", "--port",
                               str(port)], env=env, capture_output=True, text=True,
                              timeout=120)
    assert done.returncode == 2, done.stderr[-2000:]
    assert f"cannot listen on 127.0.0.1:{port}: the address is in use" in done.stderr
