"""Chinese everywhere: every page an administrator and a sales rep can open, rendered in
Chinese (``Accept-Language: zh-CN`` and the ``crm_lang`` cookie), shows no English interface
word (issue 11, "Chinese everywhere").

The world: the customers and example plugins with demo data seeded in Chinese, an operation
log with a sign-in, an export, an import and an update that changes a user reference, a
department and a time, a queued job. The pages: every GET route without URL variables that
answers HTML, plus the detail pages of a customer and a note, the history of the customer,
the role pages and a job list. What is scanned is the visible text (tags, scripts and
styles stripped) plus the ``title``/``placeholder``/``aria-label``/``alt`` attributes and the
text of buttons given as ``value``.
"""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from sqlalchemy import select

from crm_core.testing import create_test_user, invoke_cli, login

ZH_HEADERS = {"Accept-Language": "zh-CN,zh;q=0.9"}

#: English interface words that must not appear on a Chinese page (case-sensitive, matched
#: on word boundaries). Each is a word the issue or the walkthrough found, or a common
#: button, heading or state of the interface.
ENGLISH = (
    # roles, their descriptions and permissions
    "Administrator", "Sales rep", "Service agent", "Marketer", "Viewer", "Everything",
    "Reads, never writes", "Works their own", "Leads a department", "Manage", "Create own",
    "View own", "View the", "Decide approvals",
    # plugin titles and menus
    "Example notes", "Customers", "Notes", "Dashboard", "Operation log", "Settings",
    # job states and record states
    "Queued", "Running", "Finished", "Failed", "queued", "running", "done", "failed",
    "active", "inactive", "prospect", "lost", "open", "closed",
    # operation-log messages and changes
    "signed in", "signed out", "Exported", "batch of", "Import \\d+", "follow_up_by",
    "department_id", "owner_id", "last_contact_at", "updated_at", "customer_type_id",
    # demo data
    "Key account", "Website", "Trade show", "Referral", "Call back", "Send quote", "Visit",
    # the usual buttons and headings
    "Updated", "Created", "Save", "Cancel", "Delete", "Edit", "Search", "Export", "Import",
    "Next", "Previous", "Newer", "Older", "None", "Back", "Filter", "Clear", "Close",
    "Sign out", "Sign in", "Password", "User name", "Department", "Owner", "Status", "Name",
    "Actions", "Loading", "Yes", "No", "Add", "New", "View", "Show", "Hide", "Download",
    "Upload", "Submit", "Apply", "Reset", "Remove", "Total", "Page", "Undo", "Merge", "Tags",
    "Contacts", "Jobs", "Roles", "Users", "Approvals", "Notifications", "Language", "Menu",
    # sales (issue 12): menus, states, headings
    "Opportunities", "Opportunity", "Kanban", "Forecast", "Pipeline", "Stage", "Orders",
    "Quotes", "Contracts", "Payments", "Receivables", "Products", "Price lists", "Won",
    "Draft", "Confirmed", "Delivered", "Amount", "Probability", "Print", "Subtotal", "Tax",
    "Sales", "Target", "Weighted", "Best case", "Commit", "Unit price", "Quantity",
    "Expected close", "Stale", "Move to", "Instalments", "Payment plan", "pending_approval",
)
PATTERN = re.compile(r"(?<![\w-])(" + "|".join(ENGLISH) + r")(?![\w-])")
#: Text that may stay as it is: product and brand names, file formats, and the world's own
#: data (user names are typed by people).
ALLOWED = ("CRM", "API", "OpenAPI", "CSV", "XLSX", "Excel", "ERP", "OA", "English",
           "zh-admin", "zh-rep",
           "Sales Director")  # a foreign customer's contact keeps an English job title
ATTRIBUTES = {"title", "placeholder", "aria-label", "alt"}
#: Elements whose text is not read as language: code, scripts, styles. Route rules and
#: permission names (``customers.customer.view``) are shown in ``<code>`` on purpose.
SKIPPED_ELEMENTS = ("script", "style", "template", "code", "kbd", "samp")
#: Routes that answer without a page of their own (redirects, files, fragments for htmx).
NOT_PAGES = ("/api/", "/static/", "/healthz", "/readyz", "/metrics", "/logout")


class VisibleText(HTMLParser):
    """The text a user reads on a page: text nodes outside ``SKIPPED_ELEMENTS``, the
    attributes a screen reader or a tooltip shows, and button values."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED_ELEMENTS:
            self._hidden += 1
            return
        values = dict(attrs)
        self.parts += [value for name, value in attrs if name in ATTRIBUTES and value]
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.parts.append(values["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED_ELEMENTS and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> list[str]:
    """The pieces of visible text of ``html`` (see ``VisibleText``)."""
    parser = VisibleText()
    parser.feed(html)
    return parser.parts


def english_words(html: str) -> list[str]:
    """Each English interface word of ``html``'s visible text, with a little context."""
    found = []
    for part in visible_text(html):
        text = part
        for allowed in ALLOWED:
            text = text.replace(allowed, "")
        for match in PATTERN.finditer(text):
            start = max(0, match.start() - 30)
            found.append(f"{match.group(1)!r} in {text[start:match.end() + 30]!r}")
    return found


# -- the world -------------------------------------------------------------------------------


def _model(app: Any, table: str) -> Any:
    """The model class of ``table`` among the enabled plugins' models (wherever it lives)."""
    for classes in app.extensions["crm"].models.values():
        for model in classes:
            if getattr(model, "__tablename__", None) == table:
                return model
    raise LookupError(table)


def _sign_in_through_the_form(app: Any, username: str, password: str) -> None:
    """A real sign-in (its operation-log entry included), in Chinese."""
    client = app.test_client()
    client.set_cookie("crm_lang", "zh_CN")
    page = client.get("/login", headers=ZH_HEADERS).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    data = {"username": username, "password": password}
    if token:
        data["csrf_token"] = token.group(1)
    answer = client.post("/login", data=data, headers=ZH_HEADERS)
    assert answer.status_code in (302, 303), answer.get_data(as_text=True)[:500]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Customers and example notes seeded in Chinese, an admin and a sales rep, log entries
    of every kind the issue names and a queued job."""
    from crm_core.app import create_app
    from crm_core.migrate import upgrade
    from crm_core.testing import FreshDatabases, test_config

    databases = FreshDatabases(tmp_path_factory.mktemp("zh-db"))
    app = create_app(test_config(tmp_path_factory.mktemp("zh-instance"),
                                 databases.new("sqlite"), ["customers", "example",
                                                                  "sales"]))
    with app.app_context():
        upgrade(app)
    admin = create_test_user(app, "zh-admin", roles=["admin"], department="华东销售部",
                             timezone="Asia/Shanghai")
    rep = create_test_user(app, "zh-rep", roles=["sales"], department="华东销售部",
                           timezone="Asia/Shanghai", display_name="王晓燕")
    seeded = invoke_cli(app, "seed", "--size", "12", "--language", "zh_CN")
    assert seeded.exit_code == 0, seeded.output
    _sign_in_through_the_form(app, "zh-rep", "correct-horse-9")
    out = tmp_path_factory.mktemp("zh-files")
    exported = invoke_cli(app, "customers", "export", "--out", str(out / "all.csv"))
    assert exported.exit_code == 0, exported.output
    sheet = out / "new.csv"
    sheet.write_text("客户名称,手机\n杭州新禾贸易有限公司,13700001111\n", encoding="utf-8")
    imported = invoke_cli(app, "customers", "import", str(sheet))
    assert imported.exit_code == 0, imported.output

    from crm_core.db import get_session
    from crm_core.jobs.models import Job
    from crm_core.rbac.models import Department, Role

    customer_model = _model(app, "customers_customer")
    note_model = _model(app, "example_note")
    with app.app_context():
        session = get_session()
        other = Department(name="华南销售部", path="/")
        session.add(other)
        session.flush()
        customer = session.scalars(select(customer_model).where(
            customer_model.name.like("%公司"), customer_model.deleted_at.is_(None))
            .order_by(customer_model.id)).first()
        # the update the issue shows raw: a user reference, a department and a time
        customer.owner_id, customer.follow_up_by = rep.id, admin.id
        customer.department_id = other.id
        customer.last_contact_at = dt.datetime(2026, 3, 1, 1, 30, tzinfo=dt.UTC)
        customer.status = "prospect"
        session.flush()
        customer.follow_up_by = rep.id
        customer.department_id = session.scalar(select(Department.id).where(
            Department.name == "华东销售部"))
        note = session.scalars(select(note_model).order_by(note_model.id)).first()
        note.owner_id = rep.id
        customer_id, note_id = customer.id, note.id
        sales = {table: session.scalar(select(_model(app, f"sales_{table}").id)
                                       .order_by(_model(app, f"sales_{table}").id))
                 for table in ("opportunity", "order", "contract", "product", "pipeline")}
        session.commit()
    from crm_core.jobs.service import start_job

    with app.test_request_context():  # a queued job of each, as the export button leaves it
        for owner in (admin, rep):
            start_job("customers.export_customers", kind="Export customers",
                      owner_id=owner.id, fmt="csv")
    with app.app_context():
        session = get_session()
        ids = {"customer": customer_id, "note": note_id, "sales": sales,
               "roles": dict(session.execute(select(Role.name, Role.id)).all())}
        assert session.scalar(select(Job.state).where(Job.owner_id == rep.id)) == "queued"
    yield {"app": app, "admin": admin, "rep": rep, "ids": ids}
    app.extensions["crm_db"].engine.dispose()
    databases.drop_all()


def _client(world: dict[str, Any], who: str) -> Any:
    client = world["app"].test_client()
    client.set_cookie("crm_lang", "zh_CN")
    return login(client, world[who])


def _pages(world: dict[str, Any]) -> list[str]:
    """Every GET route without URL variables, then the record pages of the world."""
    app, ids = world["app"], world["ids"]
    urls = sorted({rule.rule for rule in app.url_map.iter_rules()
                   if "GET" in rule.methods and not rule.arguments
                   and not rule.endpoint.endswith("static")
                   and not rule.rule.startswith(NOT_PAGES)})
    customer = ids["customer"]
    return urls + [f"/customers/{customer}", f"/notes/{ids['note']}",
                   f"/audit/record/customers_customer/{customer}",
                   f"/audit?model=customers_customer&record_id={customer}",
                   f"/admin/roles/{ids['roles']['sales']}",
                   f"/admin/roles/{ids['roles']['admin']}",
                   *(f"/sales/{kind.replace('ty', 'tie')}s/{record_id}"
                     for kind, record_id in ids["sales"].items()),
                   f"/sales/orders/{ids['sales']['order']}/print",
                   f"/sales/kanban/{ids['sales']['pipeline']}"]


def _scan(world: dict[str, Any], who: str) -> tuple[dict[str, list[str]], list[str]]:
    client = _client(world, who)
    found: dict[str, list[str]] = {}
    scanned = []
    for url in _pages(world):
        answer = client.get(url, headers=ZH_HEADERS)
        if answer.status_code != 200 or not answer.mimetype == "text/html":
            continue
        scanned.append(url)
        words = english_words(answer.get_data(as_text=True))
        if words:
            found[url] = words
    return found, scanned


def _report(found: dict[str, list[str]]) -> str:
    lines = []
    for url, words in found.items():
        lines.append(f"{url}:")
        lines += [f"    {word}" for word in sorted(set(words))[:40]]
    return "English on Chinese pages:\n" + "\n".join(lines)


@pytest.mark.parametrize("who", ["admin", "rep"])
def test_every_page_in_chinese_shows_no_english_interface_word(world, who):
    found, scanned = _scan(world, who)
    # the record pages the issue names were among the pages scanned
    customer = world["ids"]["customer"]
    assert f"/customers/{customer}" in scanned and "/jobs" in scanned and "/" in scanned
    sales = world["ids"]["sales"]
    assert {f"/sales/opportunities/{sales['opportunity']}", f"/sales/orders/{sales['order']}",
            f"/sales/orders/{sales['order']}/print", "/sales/kanban"} <= set(scanned)
    if who == "admin":
        assert "/audit" in scanned and "/admin/roles" in scanned
    assert not found, _report(found)


def test_the_history_names_users_and_departments_and_shows_times_in_the_readers_zone(world):
    customer = world["ids"]["customer"]
    page = _client(world, "admin").get(f"/audit/record/customers_customer/{customer}",
                                       headers=ZH_HEADERS).get_data(as_text=True)
    text = " ".join(visible_text(page))
    assert "王晓燕" in text  # follow_up_by and owner_id name the user
    assert "华南销售部" in text and "华东销售部" in text  # department_id names departments
    assert "2026-03-01 09:30" in text  # 01:30 UTC in Asia/Shanghai
    assert "follow_up_by" not in text and "department_id" not in text


def test_the_log_shows_messages_in_the_readers_language(world):
    chinese = " ".join(visible_text(_client(world, "admin").get(
        "/audit", headers=ZH_HEADERS).get_data(as_text=True)))
    assert "zh-rep 已登录。" in chinese
    assert "已导出 12 个客户" in chinese
    assert re.search(r"导入 \d+：一批 1 行", chinese), chinese
    # the same entries, read by someone who reads English
    english_reader = world["app"].test_client()
    english_reader.set_cookie("crm_lang", "en")
    login(english_reader, world["admin"])
    english = " ".join(visible_text(english_reader.get(
        "/audit", headers={"Accept-Language": "en"}).get_data(as_text=True)))
    assert "zh-rep signed in." in english and "Exported 12 customers as CSV" in english


def test_the_sign_in_page_follows_the_browsers_language_without_a_cookie(world):
    client = world["app"].test_client()
    chinese = client.get("/login", headers=ZH_HEADERS).get_data(as_text=True)
    assert 'lang="zh-CN"' in chinese and "登录" in chinese
    assert not english_words(chinese), english_words(chinese)
    english = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.8"})
    assert "Sign in" in english.get_data(as_text=True)
    # a cookie, once chosen, wins over the browser
    client.set_cookie("crm_lang", "en")
    assert "Sign in" in client.get("/login", headers=ZH_HEADERS).get_data(as_text=True)


# -- the kernel pieces, in English (they need no catalog) ------------------------------------


def test_a_lazy_log_message_keeps_its_text_id_values_and_english_and_the_chain_verifies(
        crm_make_app):
    from flask_babel import lazy_gettext as _l

    from crm_core.audit.chain import verify
    from crm_core.audit.messages import render_message
    from crm_core.audit.models import AuditEntry
    from crm_core.audit.service import record_event
    from crm_core.db import get_session

    app = crm_make_app(plugins=[])
    with app.test_request_context(headers={"Accept-Language": "en"}):
        session = get_session()
        record_event("export", _l("Exported %(count)d rows as %(format)s", count=3,
                                  format="CSV"), session=session)
        record_event("export", "Exported 2 things, written before", session=session)
        session.commit()
        lazy, plain = session.scalars(select(AuditEntry).where(AuditEntry.action == "export")
                                      .order_by(AuditEntry.id)).all()
        assert lazy.message == "Exported 3 rows as CSV"  # for readers that do not translate
        assert '"id":"Exported %(count)d rows as %(format)s"' in lazy.message_data
        assert render_message(lazy) == "Exported 3 rows as CSV"
        assert plain.message_data is None
        assert render_message(plain) == "Exported 2 things, written before"
        assert verify(session.connection()).ok
        lazy.message_data = lazy.message_data.replace("3", "4")  # the data is hashed too
        session.flush()
        assert verify(session.connection()).bad_id == lazy.id


def test_changes_name_departments_and_label_common_columns_for_any_table(crm_make_app):
    from crm_core.audit.display import prefetch, shown_changes
    from crm_core.audit.models import AuditEntry
    from crm_core.auth.models import User
    from crm_core.db import get_session
    from crm_core.rbac.departments import create_department

    app = crm_make_app(plugins=[])
    user = create_test_user(app, "ming")
    with app.test_request_context(headers={"Accept-Language": "en"}):
        session = get_session()
        north = create_department(session, "North team")
        session.get(User, user.id).department_id = north.id
        session.commit()
        entry = session.scalars(select(AuditEntry).where(
            AuditEntry.model == "core_user", AuditEntry.action == "update")
            .order_by(AuditEntry.id.desc())).first()
        prefetch([entry])
        shown = {change.field: change for change in shown_changes(entry)}
        assert shown["department_id"].label == "Department"
        assert shown["department_id"].new == "North team"
        assert shown["department_id"].old is None


def test_job_states_and_lazy_job_messages_read_in_the_readers_language(crm_make_app):
    from flask_babel import lazy_gettext as _l

    from crm_core.db import get_session
    from crm_core.jobs.models import Job
    from crm_core.jobs.service import _message

    app = crm_make_app(plugins=[])
    with app.test_request_context(headers={"Accept-Language": "en"}):
        session = get_session()
        job = Job(kind="Export", task="core.x", state="queued", progress=0,
                  **_message(_l("%(count)d rows", count=7)))
        session.add(job)
        session.commit()
        assert job.message == "7 rows" and job.message_text == "7 rows"
        assert job.state_label == "Queued"
        assert job.to_dict()["state_label"] == "Queued"


def _note_titles(app: Any) -> list[str]:
    from crm_core.db import get_session

    note = _model(app, "example_note")
    with app.app_context():
        return list(get_session().scalars(select(note.title).order_by(note.id)))


def test_seed_words_follow_the_seed_language_chinese_by_default(crm_make_app):
    english = crm_make_app(plugins=["example"])
    result = invoke_cli(english, "seed", "--size", "5", "--language", "en")
    assert result.exit_code == 0, result.output
    assert "Call back ACME Ltd." in _note_titles(english)
    chinese = crm_make_app(plugins=["example"])
    result = invoke_cli(chinese, "seed", "--size", "5")  # CRM_DEMO_LANGUAGE: zh_CN
    assert result.exit_code == 0, result.output
    titles = _note_titles(chinese)
    assert titles and not [title for title in titles if PATTERN.search(title)], titles
    refused = invoke_cli(chinese, "seed", "--language", "fr")
    assert refused.exit_code == 2 and "--language" in refused.output
