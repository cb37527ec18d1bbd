"""Hooks the OA bridge offers to other plugins."""

from __future__ import annotations

from typing import Any

from crm_core.toolkit import hookspec


@hookspec
def oa_event_received(connection: str, kind: str, event_type: str,
                      payload: dict[str, Any]) -> None:
    """An OA callback was verified, decrypted, fresh and not a repeat: ``connection`` is the
    connection's name, ``kind`` its system (``dingtalk``, ``wecom``, ``feishu``),
    ``event_type`` the vendor's event name (``bpms_instance_change``, ``sys_approval_change``,
    ``approval_instance``, ``user_add_org``…) and ``payload`` the decrypted event (WeCom's
    XML as a dict of its elements). Called inside the callback's transaction after the
    bridge's own handling (approval decisions); one listener that raises is logged and
    skipped. Keep it fast: the vendor waits for the answer (DingTalk 1.5 s).
    """
