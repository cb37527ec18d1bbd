"""The request edge over every HTML form: NUL bytes, lone surrogates, huge, negative and 2^63
integers, 1e30, deep JSON and very long strings, typed into every field of every form the
pages show (POST forms with their CSRF token, and the GET forms of the list filters, the
operation log and the search), answer a 4xx or a normal page: never a 500, and never a raw
database error or a server path.

Forms are discovered, not listed: every GET route is visited (as the administrator, and
anonymously for the public ones), each ``<form>`` is parsed for its action and field names,
and every POST route of ``app.url_map`` must be reached by one of them. Bounded: a fixed
set of explicit examples and ``MAX_EXAMPLES`` generated ones per form, derandomized.

Depth scales with what is new code: the forms the kernel draws for a ``Resource`` (list
filters, add, edit, export, saved views…) share one implementation, fuzzed in full on the
example plugin's notes (``REFERENCE_RESOURCE``); another resource's forms get every edge
value in every field (their fields differ) but no generated combinations. Links are
followed to at most ``LINKS_PER_PATH`` pages of one path (``/audit?…`` has dozens).

This module runs on SQLite; ``test_form_inputs_postgres.py`` runs the same walks on
PostgreSQL, every form with the edge values only (its own module, so that the two runs
share the test processes).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser
from itertools import product
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from security_world import LONG_RUN, World, csrf_from, leaks
from werkzeug.exceptions import HTTPException

MAX_EXAMPLES = 6
#: The blueprint of the Resource whose generated forms are fuzzed at full depth.
REFERENCE_RESOURCE = "example_notes"
LINKS_PER_PATH = 3
DEEP = 5000
#: One value of each kind the edge must refuse or handle (the probe's payloads, issue 8).
EDGE_VALUES = [
    "\x00", "a\x00b", "\ud800", "x\udfffy", "2147483648", "-2147483649", "-1",
    "9223372036854775808", "-9223372036854775809", "1" + "0" * 40, "1e30", "-1e30", "NaN",
    "Infinity", "[" * DEEP + "]" * DEEP, '{"a":' * 1000 + "1" + "}" * 1000, "x" * 100_000,
    "１２３", "0x10", "javascript:alert(1)", "=HYPERLINK(\"http://x\")", "",
]
#: The edge values a stricter database meets differently (NUL bytes and surrogates in text,
#: integers and numbers out of its column's range, NaN, a value longer than a VARCHAR, an
#: empty value against NOT NULL): the run on PostgreSQL sends these; the rest (full-width
#: digits, hex, script and formula text, deep JSON as text) are parsed before any database.
DATABASE_VALUES = [
    "\x00", "a\x00b", "\ud800", "2147483648", "-2147483649", "9223372036854775808",
    "1" + "0" * 40, "1e30", "NaN", "Infinity", "x" * 100_000, "",
]
#: POST routes that no page shows a form for, and why that is fine.
NO_FORM = {
    "core_auth.logout": "the menu's sign-out form: fuzzing it only signs the admin out",
    "core_privacy.export": "shown only after a look-up (a POST); its fields are the look-up's, "
                           "fuzzed there; tests/core/test_privacy_page.py posts odd values",
    "core_privacy.erase": "shown only after a look-up (a POST), and it erases a person; "
                          "tests/core/test_privacy_page.py covers refusals",
    "erp_bridge_webhooks.receive": "a signed webhook from an ERP, no page; "
                                   "tests/plugins/erp_bridge/test_erp_webhooks.py covers it",
    "erp_bridge_connections.edit": "shown only for a connection (the world has none); the "
                                   "same form as the list page's, which is fuzzed",
    "erp_bridge_connections.check": "shown only for a connection (the world has none); "
                                    "test_erp_connections.py covers it",
    "erp_bridge_sync.replay": "shown only for a record the ERP refused (the world has "
                              "none); test_erp_sync_pages.py covers it",
    "erp_bridge_connections.hold": "shown only for a connection (the world has none); "
                                   "test_erp_hold.py covers it",
    "erp_bridge_connections.release": "shown only for a held connection (the world has none); "
                                      "test_erp_hold.py covers it",
    "erp_bridge_sync.reset": "shown only for a connection with its own sync settings (the "
                             "world has none); test_erp_hold.py covers it",
    "customers_contacts.views_delete": "shown beside a saved view only (the world saves "
                                       "none); tests/core/test_resources_views.py covers it",
    "core_imports.import_reset": "shown only for an import whose worker died (the world has "
                                 "none); test_import_first_run.py covers it",
    "core_imports.import_sheet": "shown only for a workbook of several sheets (the world's "
                                 "import is a CSV); test_imports_sheets.py posts odd names",
    "sales_orders.views_delete": "shown beside a saved view only (the world saves none); "
                          "tests/core/test_resources_views.py covers it",
    "sales_products.views_delete": "shown beside a saved view only (the world saves none); "
                          "tests/core/test_resources_views.py covers it",
    "sales_price_lists.views_delete": "shown beside a saved view only (the world saves none); "
                          "tests/core/test_resources_views.py covers it",
    "sales_order_pages.deliver": "shown only for a confirmed order (the world's is a draft); "
                                 "test_orders_pages.py and test_orders_api.py cover it",
    "sales_order_pages.complete": "shown only for a delivered order (the world's is a draft); "
                                  "test_orders_api.py covers it",
    "oa_bridge_callbacks.callback": "an OA vendor's signed callback, no page posts to it; "
                                    "tests/plugins/oa_bridge/test_oa_callbacks.py covers it",
    "analytics_dashboards.layout": "JSON from the dashboard's drag-and-drop script, no form; "
                                   "test_dashboards_pages.py sends it odd input",
    "marketing_unsubscribe.unsubscribe_post": "the page of a mail's signed unsubscribe link "
                                              "(no id to walk); test_mail_unsubscribe.py "
                                              "sends it forged and odd tokens",
    "marketing_mail_pages.winner_page": "shown only while an A/B test waits for its winner "
                                        "(the world sends nothing); test_mail_ab.py covers it",
    "core_custom_fields.restore": "shown only beside an archived field (the world archives "
                                  "none); test_customers_custom_fields_web.py restores one",
    "core_sensitive.reveal": "an htmx button beside a masked value, shown only to users who "
                             "see masks (the walk's superuser sees values in clear); "
                             "tests/plugins/customers/test_masking.py posts odd indexes, "
                             "fields and records",
}


@dataclass
class Form:
    """A form as a page shows it: where it goes, how, and its fields with their values."""

    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    anonymous: bool = False


class FormParser(HTMLParser):
    """Collects the forms of a page (inputs, selects with their chosen option, textareas),
    with the controls outside a form that name it (``form="id"``) and the buttons that post
    it elsewhere (``formaction``), as a browser would send them."""

    def __init__(self, page_url: str) -> None:
        super().__init__()
        self.page_url, self.forms, self.current = page_url, [], None
        self.select: str | None = None
        self.textarea: str | None = None
        self.by_id: dict[str, Form] = {}
        self.outside: dict[str, Form] = {}  # fields of controls outside form "id"
        self.elsewhere: list[tuple[str, str, dict[str, str]]] = []  # (id, action, extra)
        self.target: Form | None = None  # the form of the open select or textarea

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {key: value or "" for key, value in attrs}
        if tag == "form":
            action = attr.get("action") or self.page_url
            self.current = Form(urlsplit(action).path or urlsplit(self.page_url).path,
                                attr.get("method", "get").upper())
            self.forms.append(self.current)
            if attr.get("id"):
                self.by_id[attr["id"]] = self.current
            return
        if tag == "option":
            if self.target is not None and self.select:
                if "selected" in attr or not self.target.fields.get(self.select):
                    self.target.fields[self.select] = attr.get("value", "")
            return
        owner = attr.get("form")
        form = self.outside.setdefault(owner, Form("", "")) if owner else self.current
        if form is None or tag not in ("input", "button", "select", "textarea"):
            return
        if tag in ("button", "input") and attr.get("formaction"):  # posts the form elsewhere
            extra = {attr["name"]: attr.get("value", "")} if attr.get("name") else {}
            if owner:
                self.elsewhere.append((owner, urlsplit(attr["formaction"]).path, extra))
            else:
                self.forms.append(Form(urlsplit(attr["formaction"]).path, form.method,
                                       {**form.fields, **extra}))
        elif not attr.get("name"):
            return
        elif tag == "input" and attr.get("type") not in ("submit", "button", "file"):
            if attr.get("type") in ("checkbox", "radio") and "checked" not in attr:
                form.fields.setdefault(attr["name"], "")
            else:
                form.fields[attr["name"]] = attr.get("value", "")
        elif tag in ("button", "input"):
            form.fields.setdefault(attr["name"], attr.get("value", ""))
        elif tag == "select":
            self.select, self.target = attr["name"], form
            form.fields.setdefault(self.select, "")
        elif tag == "textarea":
            self.textarea, self.target = attr["name"], form
            form.fields[self.textarea] = ""

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        if self.target is not None and self.textarea:
            self.target.fields[self.textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.current = None
        elif tag == "select":
            self.select, self.target = None, None
        elif tag == "textarea":
            self.textarea, self.target = None, None

    def close(self) -> None:
        """Give each form the controls outside it, and add the forms its ``formaction``
        buttons outside it send."""
        super().close()
        for owner, fields in self.outside.items():
            if owner in self.by_id:
                self.by_id[owner].fields.update(fields.fields)
        for owner, action, extra in self.elsewhere:
            if owner in self.by_id:
                base = self.by_id[owner]
                self.forms.append(Form(action, base.method, {**base.fields, **extra}))


#: Pages that show forms only with a query string or for records in a given state.
EXTRA_PAGES = ["/customers/trash",
               "/customers/merge?ids={customer_id}&ids={second_id}",
               "/imports/customers.customer/{uploaded_id}",
               "/imports/customers.customer/{done_id}",
               "/imports/customers.customer/{done_id}/undo",
               "/imports/customers.customer/{checked_id}",
               "/customers/?segment={super_segment_id}",
               "/customers/{trashed_id}", "/account/tokens",
               "/approvals/{super_approval_id}", "/imports/{spec_id}/",
               "/imports/{spec_id}/{super_tabular_id}", "/example/notes",
               # an event campaign's settings form and its public registration form
               "/marketing/campaigns/{event_campaign_id}/event", "/m/events/{event_key}",
               # a campaign's send confirmation (its button shows once it is approved)
               "/marketing/campaigns/{campaign_id}/send"]
LINK = re.compile(r'href="(/[^"#]*)"')


def _pages(world: World) -> list[str]:
    """Every GET route's URL (ids of East's records), and the extra pages."""
    urls = []
    for rule in world.app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint.endswith("static") or (
                rule.rule.startswith("/api/")):
            continue
        values = {name: world.east.get(name, "x") for name in rule.arguments}
        if rule.rule.startswith("/audit/record/"):
            values = {"model": "customers_customer", "record_id": world.east["customer_id"]}
        urls.append(rule.build(values, append_unknown=False)[1])
    return urls + [page.format(**world.east) for page in EXTRA_PAGES]


def shallow_blueprints(world: World) -> set[str]:
    """The HTML blueprints the kernel generated from a ``Resource``, but the reference's."""
    from crm_core.resources.registration import resources

    return {resource.endpoint for _plugin, resource
            in resources(world.app.extensions["crm"].pm)} - {REFERENCE_RESOURCE}


def _saved_view_delete(endpoint: str, resource_blueprints: set[str]) -> bool:
    """A Resource's "delete saved view" route: its form shows beside a saved view only (the
    world saves none), as for ``customers_contacts.views_delete`` in ``NO_FORM``."""
    blueprint, _dot, view = endpoint.partition(".")
    return view == "views_delete" and blueprint in resource_blueprints


def discover_forms(world: World) -> tuple[dict[tuple[str, str], Form], list[str]]:
    """``{(endpoint, method): Form}`` for every form on every GET page (and the pages they
    link to), and what is wrong: pages that crash, POST routes no page has a form for."""
    app, broken = world.app, []
    adapter = app.url_map.bind("localhost")
    found: dict[tuple[str, str], Form] = {}
    for who in ("anonymous", "super"):  # the public forms as their users see them
        client, seen, per_path = world.client(who), set(), Counter()
        pages = _pages(world)
        listed = set(pages)
        top = {page.split("?")[0] for page in pages}  # pages whose links are followed
        while pages:
            url = unescape(pages.pop())
            if url in seen or len(seen) > 1000 or "logout" in url or "download" in url:
                continue
            path = url.split("?")[0]
            if url not in listed and per_path[path] >= LINKS_PER_PATH:
                continue  # one more filter or sort link of a page already seen
            seen.add(url)
            per_path[path] += 1
            response = client.get(url)
            if response.status_code >= 500:
                broken.append(f"GET {url} as {who}: {response.status_code}")
            if response.status_code != 200 or "html" not in response.content_type:
                continue
            html = response.get_data(as_text=True)
            if path in top:
                pages += [link for link in LINK.findall(html) if "/static/" not in link]
            parser = FormParser(url)
            parser.feed(html)
            parser.close()
            for form in parser.forms:
                try:
                    endpoint, _args = adapter.match(form.action, method=form.method)
                except HTTPException:
                    continue
                form.anonymous = who == "anonymous"
                key = (endpoint, form.method)
                if key not in found or len(form.fields) > len(found[key].fields):
                    found[key] = form
    resource_blueprints = shallow_blueprints(world) | {REFERENCE_RESOURCE}
    broken += sorted(
        f"no page shows a form for POST {rule.rule}: add it to NO_FORM with the reason"
        for rule in app.url_map.iter_rules()
        if "POST" in rule.methods and not rule.rule.startswith("/api/")
        and (rule.endpoint, "POST") not in found and rule.endpoint not in NO_FORM
        and not _saved_view_delete(rule.endpoint, resource_blueprints))
    return found, broken


def encode(values: dict[str, str]) -> str:
    """A form body or query string as a hostile client sends it (lone surrogates as the
    bytes their UTF-8 encoding would have, which no browser sends but anyone can)."""
    return "&".join(f"{quote(name)}={quote(value.encode('utf-8', 'surrogatepass'))}"
                    for name, value in values.items())


def problem_of(response: Any) -> str | None:
    """What is wrong with an answer to edge values: a 5xx, or a leak in the body."""
    if response.status_code >= 500:
        return f"answers {response.status_code}"
    leak = leaks(response.get_data(as_text=True))
    return f"shows {leak!r}" if leak else None


@dataclass
class Findings:
    """Requests sent, and the first (smallest) reproduction of each failure by form."""

    sent: int = 0
    failures: dict[tuple[str, str], str] = field(default_factory=dict)

    def add(self, form: Form, sample: dict[str, str], problem: str) -> None:
        shown = {name: value[:40] + ("…" if len(value) > 40 else "")
                 for name, value in sample.items()}
        self.failures.setdefault((f"{form.method} {form.action}", problem[:12]), (
            f"{form.method} {form.action} with {json.dumps(shown)} "
            f"({'anonymous' if form.anonymous else 'superuser'}): {problem}"))


def fuzz_form(world: World, form: Form, findings: Findings, shallow: bool = False,
              values: list[str] = EDGE_VALUES) -> None:
    """Every edge value in every field at once, then (unless ``shallow``) generated
    combinations of one to three fields."""
    names = [name for name in form.fields if name != "csrf_token"]
    client = world.client("anonymous" if form.anonymous else "super")
    page = client.get("/login" if form.anonymous else "/").get_data(as_text=True)
    token = csrf_from(page) or ""

    def send(changed: list[str], value_of: dict[str, str]) -> str | None:
        values = dict(form.fields)
        values.update({name: value_of[name] for name in changed})
        findings.sent += 1
        if form.method == "GET":
            return problem_of(client.get(f"{form.action}?{encode(values)}"))
        values["csrf_token"] = token
        return problem_of(client.post(form.action, data=encode(values),
                                      content_type="application/x-www-form-urlencoded"))

    def try_values(changed: list[str], value_of: dict[str, str]) -> None:
        problem = send(changed, value_of)
        if problem is None:
            return
        # a small reproduction: leave out each field the failure does not need
        needed = list(changed)
        for name in changed:
            rest = [other for other in needed if other != name]
            if rest and send(rest, value_of) is not None:
                needed = rest
        findings.add(form, {name: value_of[name] for name in needed}, problem)

    for value in values:  # each kind in every field at once
        try_values(names, dict.fromkeys(names, value))
    if not names or shallow:
        return

    @settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
              print_blob=False)
    @given(st.lists(st.tuples(st.sampled_from(names), st.sampled_from(EDGE_VALUES)),
                    min_size=1, max_size=3))
    @example([(names[0], "\x00")])
    def one_or_a_few_fields(changes: list[tuple[str, str]]) -> None:
        value_of = dict(changes)
        try_values(list(value_of), value_of)

    one_or_a_few_fields()


def fuzz_every_form(world: World, database: str, capsys: Any,
                    every_form_shallow: bool = False,
                    values: list[str] = EDGE_VALUES) -> list[str]:
    """Discover the forms and fuzz each (a Resource's generated forms, or with
    ``every_form_shallow`` all of them, with the edge ``values`` only); the failures."""
    forms, missing = discover_forms(world)
    assert len(forms) > 20, sorted(forms)  # the walk found the app's forms
    findings = Findings()
    generated = shallow_blueprints(world)
    assert (f"{REFERENCE_RESOURCE}.create", "POST") in forms  # the full-depth reference
    for (endpoint, _method), form in sorted(forms.items()):
        shallow = every_form_shallow or endpoint.split(".")[0] in generated
        fuzz_form(world, form, findings, shallow=shallow, values=values)
    with capsys.disabled():  # the figures show in a plain `pytest` run
        print(f"\nform fuzzing: {len(forms)} forms, {findings.sent} requests, "
              f"{len(findings.failures)} failures [{database}]")
    return sorted(findings.failures.values()) + missing


def out_of_range_id_failures(world: World) -> list[str]:
    """Routes that answer other than a clean 404 to ids of 2^31, 2^63 and 10^30."""
    client, failures = world.client("admin"), []
    for rule, value in product(world.app.url_map.iter_rules(), [2**31, 2**63, 10**30]):
        converters = {name: type(conv).__name__ for name, conv in rule._converters.items()}
        if not any("Int" in kind for kind in converters.values()):
            continue
        values = {name: value if "Int" in kind else world.east.get(name, "x")
                  for name, kind in converters.items()}
        url = rule.build(values, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            if response.status_code != 404 or leaks(response.get_data(as_text=True)):
                failures.append(f"{method} {url}: {response.status_code}, expected 404")
    return failures


def deep_json_failures(world: World) -> list[str]:
    """API writes that answer deep JSON other than with a 4xx problem."""
    token = world.token("admin")
    failures = []
    bodies = ["[" * DEEP + "]" * DEEP, '{"a":' * DEEP + "1" + "}" * DEEP]
    for rule, body in product(world.app.url_map.iter_rules(), bodies):
        if not rule.rule.startswith("/api/"):
            continue
        url = rule.build({name: world.east.get(name, "x") for name in rule.arguments},
                         append_unknown=False)[1]
        for method in sorted(rule.methods & {"POST", "PATCH", "PUT"}):
            response = world.app.test_client().open(
                url, method=method, data=body, content_type="application/json",
                headers={"Authorization": f"Bearer {token}"})
            if not 400 <= response.status_code < 500 or (
                    response.content_type != "application/problem+json"):
                failures.append(f"{method} {url} (deep JSON): {response.status_code} "
                                f"{response.content_type}")
    return failures


@pytest.mark.timeout(LONG_RUN)
def test_edge_values_in_every_form_field_answer_4xx_or_a_page_never_a_500(make_world, capsys):
    report = fuzz_every_form(make_world("sqlite"), "sqlite", capsys)
    assert report == [], "\n".join(report)


def test_out_of_range_ids_in_any_url_answer_404_not_500(shared_world):
    failures = out_of_range_id_failures(shared_world)
    assert failures == [], "\n".join(failures)


def test_deep_json_to_every_api_write_answers_a_4xx_problem(shared_world):
    failures = deep_json_failures(shared_world)
    assert failures == [], "\n".join(failures)
