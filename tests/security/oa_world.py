"""The OA bridge's records in the security walk's world (no tests here): one connection,
every department's setting (only holders of ``oa_bridge.connection.manage`` reach it)."""

from __future__ import annotations

from typing import Any

#: A valid EncodingAESKey (43 characters) for the walk's connection.
AES_KEY = "4g5j64qlyl3zvetqxz5jiocdr586fn2zvjpa8zls3ij"


def oa_records(session: Any) -> dict[str, Any]:
    """A DingTalk connection named ``walk``; ``{}`` when the plugin is not enabled."""
    from crm_core.toolkit import plugin_enabled

    if not plugin_enabled("oa_bridge"):
        return {}
    from plugins.oa_bridge.connections.services import save_connection

    connection = save_connection(session, {
        "name": "walk", "kind": "dingtalk", "app_key": "walk-app", "app_secret": "walk-secret",
        "token": "walk-token", "aes_key": AES_KEY})
    return {"oa_connection_id": connection.id}
