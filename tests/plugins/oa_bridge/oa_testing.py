"""Helpers of the OA bridge's app tests (no tests here): an app with the plugin, a DingTalk
connection made through the CLI, users, an approval definition mapped to an OA process, and
the fake DingTalk server."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask

from plugins.oa_bridge.fake.dingtalk import FakeDingTalk

PASSWORD = "Kettle-Drum-42x"
KIND = "test.oa_thing"
APP_KEY, APP_SECRET, TOKEN, CORP = "dingapp123", "app-secret-VALUE-9", "cb-token-7", "dingcorp9"
AES_KEY = "4g5j64qlyl3zvetqxz5jiocdr586fn2zvjpa8zls3ij"


@dataclass
class World:
    """The app, its users by name and the fake DingTalk."""

    app: Flask
    fake: FakeDingTalk
    users: dict[str, Any] = field(default_factory=dict)

    def cli(self, *args: str) -> Any:
        result = self.app.test_cli_runner().invoke(args=list(args))
        assert result.exit_code == 0, result.output
        return result

    def post_callback(self, params: dict[str, str], body: bytes, name: str = "dt") -> Any:
        return self.app.test_client().post(f"/oa/callback/{name}", query_string=params,
                                           data=body, content_type="application/json")

    def api_post(self, name: str, url: str, json: Any = None) -> Any:
        """POST to the API as ``name`` with a bearer token."""
        from crm_core.api.tokens import create_token
        from crm_core.auth.models import User
        from crm_core.db import get_session

        with self.app.app_context():
            session = get_session()
            _row, plain = create_token(session, session.get(User, self.users[name].id))
            session.commit()
        return self.app.test_client().post(url, json=json,
                                           headers={"Authorization": f"Bearer {plain}"})

    def login(self, name: str) -> Any:
        from crm_core.testing import login

        return login(self.app.test_client(), self.users[name])


def connect(world: World, tmp: Path, name: str = "dt", base_url: str | None = None) -> None:
    """``crm oa connect`` a DingTalk app with its secrets in files."""
    secret, key = tmp / "secret.txt", tmp / "aes.txt"
    secret.write_text(APP_SECRET + "\n")
    key.write_text(AES_KEY)
    world.cli("oa", "connect", "--name", name, "--kind", "dingtalk", "--app-key", APP_KEY,
              "--app-secret-file", str(secret), "--token", TOKEN, "--aes-key-file", str(key),
              "--corp-id", CORP, "--base-url", base_url or world.fake.url, "--signin")


def build(app: Flask, tmp: Path) -> World:
    """Users (a requester and a manager who approves in the web UI), the fake, a connection,
    a definition for ``KIND`` mapped to process ``PROC-1`` and the requester's OA link."""
    from crm_core.approvals.definitions import StepInput, save_definition
    from crm_core.db import get_session
    from crm_core.rbac.users import create_account

    fake = FakeDingTalk(APP_KEY, APP_SECRET, TOKEN, AES_KEY, corp_id=CORP).start()
    world = World(app, fake)
    with app.app_context():
        session = get_session()
        for name, roles in (("rep", ["sales"]), ("boss", ["manager"]), ("root", ["admin"]),
                            ("viewer", ["viewer"])):
            world.users[name] = create_account(session, name, PASSWORD, roles=roles,
                                               email=f"{name}@example.com")
        save_definition(session, None, name="OA things", subject_kind=KIND,
                        steps=[StepInput("role", role_name="manager")])
        session.commit()
        for user in world.users.values():
            session.expunge(user)
    connect(world, tmp)
    world.cli("oa", "link-user", "--connection", "dt", "--username", "rep",
              "--oa-user-id", "dt-rep", "--oa-dept-id", "42")
    world.cli("oa", "map-approval", "--connection", "dt", "--definition", "OA things",
              "--process-code", "PROC-1", "--fields", '{"标题": "title", "金额": "amount"}')
    return world


def request(world: World, subject_id: int, amount: int = 500) -> Any:
    """Ask approval for thing ``subject_id`` as the rep."""
    from crm_core.db import get_session
    from crm_core.toolkit import request_approval

    with world.app.app_context():
        session = get_session()
        result = request_approval(KIND, subject_id, f"Thing {subject_id}", "details",
                                  amount=amount, requester=world.users["rep"].id,
                                  session=session)
        session.commit()
        return result


def drain(world: World, now: Any = None) -> Any:
    """Deliver the outbox now, or at ``now`` (what the worker does after the commit)."""
    from crm_core.outbox.delivery import drain as drain_outbox

    with world.app.app_context():
        return drain_outbox(now=now)


def approval_status(world: World, approval_id: int) -> str:
    from crm_core.approvals.models import Approval
    from crm_core.db import get_session

    with world.app.app_context():
        return get_session().get(Approval, approval_id).status


def instance(world: World, approval_id: int) -> Any:
    from sqlalchemy import select

    from crm_core.db import get_session
    from plugins.oa_bridge.models import OaInstance

    with world.app.app_context():
        session = get_session()
        row = session.scalar(select(OaInstance).where(OaInstance.approval_id == approval_id))
        session.expunge(row)
        return row
