"""Helpers of the security tests (no tests here): two departments, East (a manager, a sales
rep and a viewer) and West (a sales rep who owns one record of every kind), an administrator,
and helpers to sign them in, read CSRF tokens and spot leaks (West's marker, raw database
errors, server paths) in any answer.

Every West record carries ``WEST_MARKER`` in its text, so a page or JSON answer that shows it
to an East user is a scope leak, whatever route it came from.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from crm_core.testing import login

WEST_MARKER = "Westmarkzq"
PASSWORD = "Kettle-Drum-42x"
EAST_ROLES = {"manager": "manager", "sales": "sales", "service": "service",
              "viewer": "viewer"}

#: Text that only a crashed or leaky answer carries.
LEAK_PATTERNS = re.compile(
    r"Traceback \(most recent call last\)|sqlalchemy\.|psycopg|sqlite3\.|\(Background on this"
    r" error|\[SQL: |IntegrityError|OperationalError|ProgrammingError|DataError|"
    r"PendingRollbackError|/work/|/home/|/tmp/|site-packages|\.venv/|crm_core/|plugins/customers/")

DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
#: Seconds a whole-app fuzzing test may run: two to three minutes on two quiet cores, several
#: times that on a loaded machine (pytest-timeout's default for a test is 300).
LONG_RUN = 1200
#: URL variables naming records every department shares (the sales catalogue and pipelines):
#: East may read them when its role may use the route; they never carry West's marker.
SHARED_RECORDS = {"product_id", "price_list_id", "pipeline_id", "stage_id",
                  "canned_reply_id",  # the service plugin's canned replies
                  "consent_id",  # the marketing consent ledger (no secret in it)
                  # analytics' customer value: a segment and a churn level name groups
                  "segment", "level"}


def csrf_from(html: str) -> str | None:
    """The CSRF token of a page's first form (or its meta tag), or None."""
    match = (re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
             or re.search(r'name="csrf-token"[^>]*content="([^"]+)"', html))
    return match.group(1) if match else None


def leaks(body: str) -> str | None:
    """The first piece of a raw database error, traceback or server path in ``body``."""
    match = LEAK_PATTERNS.search(body)
    return body[max(0, match.start() - 60):match.end() + 60] if match else None


@dataclass
class World:
    """The app, the users by role name, and West's record ids by URL variable name."""

    app: Flask
    users: dict[str, Any] = field(default_factory=dict)
    departments: dict[str, int] = field(default_factory=dict)
    west: dict[str, Any] = field(default_factory=dict)
    east: dict[str, Any] = field(default_factory=dict)

    def client(self, name: str) -> FlaskClient:
        """A test client signed in as ``name`` (``anonymous`` for nobody)."""
        client = self.app.test_client()
        return client if name == "anonymous" else login(client, self.users[name])

    def token(self, name: str) -> str:
        """A fresh API token (plain text) of ``name``, made by the kernel's token service."""
        from crm_core.api.tokens import create_token
        from crm_core.auth.models import User
        from crm_core.db import get_session

        with self.app.app_context():
            session = get_session()
            _row, plain = create_token(session, session.get(User, self.users[name].id), "probe")
            session.commit()
        return plain


def _records(session: Any, owner: Any, department_id: int, label: str) -> dict[str, Any]:
    """One record of every kind, owned by ``owner``; ids by the URL variable that names them."""
    from crm_plugin_example.models import Note

    from crm_core.api.tokens import create_token
    from crm_core.imports.models import TabularImport as CustomerImport
    from crm_core.jobs.models import Job
    from crm_core.jobs.service import job_files_dir
    from plugins.customers import services
    from plugins.customers.segments import services as segments

    secret = WEST_MARKER if label == "West" else ""
    customer = services.create_customer(
        session, name=f"{label} Trading {secret}".strip(),
        industry=f"{label} industry", owner_id=owner.id, department_id=department_id,
        phones=["13812345678" if label == "West" else "13912345678"],
        emails=[f"{label.lower()}{secret.lower()}@example.com"])
    contact = services.add_contact(session, customer.id, f"{label} Contact {secret}".strip(),
                                   email=f"{label.lower()}.contact@example.com")
    record = services.add_contact_record(session, customer.id, kind="call",
                                         content=f"{label} call notes {secret}",
                                         contact_id=contact.id, user_id=owner.id)
    segment = segments.save_segment(session, user=owner, name=f"{label} private segment",
                                    filters={}, shared=False)
    imp = CustomerImport(spec="customers.customer", user_id=owner.id, status="done",
                         filename=f"{label.lower()}.csv",
                         mapping={"headers": ["name"], "fields": ["name"]})
    job = Job(kind="Export customers", task="customers.export_customers", owner_id=owner.id,
              state="done", progress=100, message="Exported 1 customer")
    note = Note(title=f"{label} note", body=label, owner_id=owner.id,
                department_id=department_id)
    session.add_all([imp, job, note])
    session.flush()
    # the export's file, where the download routes look for it
    result = job_files_dir() / f"customers-{job.id}-{owner.id}.csv"
    result.write_text(f"name\n{label}\n")
    job.result_file = str(result)
    token, _plain = create_token(session, owner, f"{label} token")
    from crm_core.approvals.definitions import StepInput, save_definition
    from crm_core.toolkit import request_approval  # named approver: the owner, of its department

    definition = save_definition(session, None, name=f"{label} approvals {secret}".strip(),
                                 subject_kind="customers.customer",
                                 steps=[StepInput("users", user_ids=[owner.id])])
    approval = request_approval("customers.customer", customer.id,
                                f"{label} approval {secret}".strip(), "", requester=owner.id,
                                session=session)
    from crm_core.files.service import attach  # its bytes on disk: the owner downloads them

    attachment = attach(session, kind="customers.customer", record_id=customer.id,
                        stream=io.BytesIO(f"{label} offer\n".encode()),
                        file_name=f"{label} offer {secret}".strip() + ".txt", user_id=owner.id)
    from crm_core.notifications.service import notify

    (notification,) = notify([owner.id], "system", f"{label} notice {secret}".strip(),
                             link=f"/customers/{customer.id}", session=session)
    from crm_core.outbox import send_mail  # not a department's record: for outbox managers

    mail = send_mail(f"{label.lower()}@example.com", f"{label} mail", "Body.",
                     idempotency_key=f"security-world:{label}")
    from crm_core.imports.files import ERRORS, import_folder  # a kernel import and its report
    from crm_core.imports.models import TabularImport

    tabular = TabularImport(spec="customers.tag", user_id=owner.id, status="done", created=1,
                            failed=1, filename=f"{label.lower()}-tags.csv",
                            mapping={"headers": ["name"], "fields": ["name"]})
    session.add(tabular)
    session.flush()
    (import_folder(tabular.id) / ERRORS).write_text(f"name,Row,Reason\n{label},2,bad\n")
    from sales_world import sales_records

    sales = sales_records(session, owner, department_id, label, secret, customer.id)
    from service_world import service_records

    sales.update(service_records(session, owner, department_id, label, secret, customer.id))
    from marketing_world import marketing_records

    sales.update(marketing_records(session, owner, department_id, label, secret,
                                   f"{label.lower()}.contact@example.com"))
    return {**sales, "customer_id": customer.id, "contact_id": contact.id,
            "record_id": record.id,
            "approval_id": approval.approval_id, "definition_id": definition.id,
            "message_id": mail.id, "tabular_import_id": tabular.id,
            "segment_id": segment.id, "import_id": imp.id, "job_id": job.id,
            "token_id": token.id, "note_id": note.id, "user_id": owner.id,
            "attachment_id": attachment.id,
            "department_id": department_id, "notification_id": notification.id}


def _superuser_records(session: Any, world: World) -> None:
    """What the superuser's forms need: a second customer (merge), a segment, an import
    waiting for its settings, one done (undo)."""
    from crm_core.imports.models import TabularImport as CustomerImport
    from plugins.customers import services
    from plugins.customers.segments import services as segments

    super_user = world.users["super"]
    world.east["second_id"] = services.create_customer(
        session, name="East Trading Two", owner_id=world.users["sales"].id,
        department_id=world.departments["East"]).id
    world.east["super_segment_id"] = segments.save_segment(
        session, user=super_user, name="Super segment", filters={}).id
    mapping = {"headers": ["name", "phone"], "fields": ["name", "phones"]}
    for status, key in (("uploaded", "uploaded_id"), ("checked", "checked_id"),
                        ("done", "done_id")):
        imp = CustomerImport(spec="customers.customer", user_id=super_user.id,
                             filename="super.csv", status=status, mapping=mapping,
                             created=1 if status == "done" else 0)
        session.add(imp)
        session.flush()
        world.east[key] = imp.id
    from crm_core.notifications.service import notify  # its "mark read" forms

    notify([super_user.id], "system", "Super notice", session=session)
    from crm_core.approvals.definitions import StepInput, save_definition
    from crm_core.toolkit import request_approval  # its decide form: the superuser decides

    second = world.east["second_id"]
    save_definition(session, None, name="Super decides", subject_kind="customers.customer",
                    steps=[StepInput("users", user_ids=[super_user.id])], priority=1)
    world.east["super_approval_id"] = request_approval(  # named, so decides and withdraws
        "customers.customer", second, "Second customer", "", requester=super_user.id,
        session=session).approval_id
    world.east["spec_id"] = "customers.tag"  # the kernel import wizard's forms
    from crm_core.imports.models import TabularImport

    waiting = TabularImport(spec="customers.tag", user_id=super_user.id, status="uploaded",
                            filename="super-tags.csv",
                            mapping={"headers": ["name"], "fields": ["name"]})
    session.add(waiting)
    session.flush()
    world.east["super_tabular_id"] = waiting.id
    from crm_core.resources.saved_views import save_view  # its delete form

    save_view(session, "example.notes", super_user, "Super view", {"status": "open"})
    for key in ("customers.types", "customers.tags", "customers.bands"):
        save_view(session, key, super_user, "Super view", {"q": "probe"})


def build_world(app: Flask) -> World:
    """Admin; East with a manager, a sales rep and a viewer; West with a sales rep; a record
    of every kind in each department (East's owned by East's sales rep)."""
    from sqlalchemy import select

    from crm_core.api.tokens import create_token
    from crm_core.db import get_session
    from crm_core.rbac.departments import create_department
    from crm_core.rbac.models import Role
    from crm_core.rbac.users import create_account
    from plugins.customers import services
    from plugins.customers.models import AmountBand

    world = World(app)
    with app.app_context():
        session = get_session()
        east = create_department(session, "East")
        west = create_department(session, "West")
        world.departments = {"East": east.id, "West": west.id}
        world.users["admin"] = create_account(session, "root", PASSWORD, roles=["admin"])
        for role in EAST_ROLES:
            world.users[role] = create_account(session, f"east-{role}", PASSWORD,
                                               roles=[role], department_id=east.id)
        world.users["west"] = create_account(session, "west-sales", PASSWORD, roles=["sales"],
                                             department_id=west.id)
        session.flush()
        world.west = _records(session, world.users["west"], west.id, "West")
        world.east = _records(session, world.users["sales"], east.id, "East")
        world.east["user_id"] = world.users["viewer"].id
        trashed = services.create_customer(session, name="East old customer",
                                           owner_id=world.users["sales"].id,
                                           department_id=east.id)
        services.delete_customer(session, trashed.id)
        world.east["trashed_id"] = trashed.id
        world.users["super"] = create_account(session, "super", PASSWORD, superuser=True)
        create_token(session, world.users["super"], "the superuser's own")
        _superuser_records(session, world)
        tag = services.create_tag(session, "Probe tag")
        kind = services.create_customer_type(session, "Probe type")
        band = AmountBand(name="Probe band", min_amount=123_456_00)
        session.add(band)
        session.flush()
        role_id = session.scalar(select(Role.id).where(Role.name == "viewer"))
        from crm_core.custom_fields.service import create_field
        from crm_core.custom_fields.storage import record_kinds

        custom = create_field(session, record_kinds(app)["customers.customer"], {
            "key": "probe", "type": "choice", "options": ["甲", "乙"], "filterable": True,
            "labels": {"zh_CN": "探针", "en": "Probe"}})  # a custom field (admin pages)
        for ids in (world.west, world.east):
            ids.update(tag_id=tag.id, customer_type_id=kind.id, role_id=role_id,
                       amount_band_id=band.id, field_id=custom.id)
        from analytics_world import analytics_records  # a customer value row each

        world.west.update(analytics_records(session, world.west["customer_id"]))
        world.east.update(analytics_records(session, world.east["customer_id"]))
        from analytics_world import dashboard_records  # a private dashboard each

        world.west.update(dashboard_records(session, world.users["west"], "West", WEST_MARKER))
        world.east.update(dashboard_records(session, world.users["sales"], "East", ""))
        dashboard_records(session, world.users["super"], "Super", "")  # its forms are fuzzed
        from analytics_world import report_records  # a private saved report each

        world.west.update(report_records(session, world.users["west"], "West", WEST_MARKER))
        world.east.update(report_records(session, world.users["sales"], "East", ""))
        report_records(session, world.users["super"], "Super", "")  # its forms are fuzzed
        from oa_world import oa_records  # the OA bridge's connection, every department's

        oa = oa_records(session)
        world.west.update(oa)
        world.east.update(oa)
        session.commit()
        for user in world.users.values():
            session.expunge(user)
    return world
