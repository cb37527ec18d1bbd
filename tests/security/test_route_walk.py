"""The role × route walk: every route with a record id keeps West's records from East's
users (404, or 403 where the route's permission is missing), every write refuses a viewer
(403 with a valid CSRF token), and every answer carries the security headers.

Routes are discovered from ``app.url_map``; a route whose URL variable names a record kind
the walk does not know fails with "add the record kind for <rule>", so a new route is covered
the day it is added.
"""

from __future__ import annotations

from typing import Any

import pytest
from security_world import EAST_ROLES, SHARED_RECORDS, WEST_MARKER, World, csrf_from, leaks

from crm_core.auth.permissions import route_permission

#: Routes whose URL variables are not records of a department, and why.
NOT_RECORDS = {
    "/api/v1/widgets/<widget_id>": "a widget id names a chart; its data is scoped per user",
    # the staff manual (crm_core/help): the same pages and images for every signed-in user
    "/help/<page_id>": "a page of the manual, the same for everyone",
    "/help/img/<page_id>/<name>": "a screenshot of the manual, the same for everyone",
    "/static/<path:filename>": "public files",
    "/customers/static/<path:filename>": "public files",
    # a spec id names a kind of record; the pages list and start the user's own imports
    "/imports/<spec_id>/": "the user's own imports of a kind",
    "/imports/<spec_id>/new": "an upload form",
    # public pages: a company's request form by its key, a request's status behind a signed
    # link (a forged token answers 404: tests/plugins/service/test_public_form.py)
    "/service/form/<form_key>": "a public form, the same for everyone",
    "/service/status/<token>": "a signed link, no record id",
    "/service/survey/<survey_token>": "a signed single-use survey link, no record id",
    # a campaign mail's open pixel and click redirect: signed links, the same answer for
    # everyone (a forged token answers 404: tests/plugins/marketing/test_tracking_endpoints.py)
    "/m/o/<token>.gif": "a signed open pixel, no record id",
    "/m/c/<token>": "a signed click redirect, no record id",
    # a campaign mail's unsubscribe page and one-click POST: a signed link (a forged token
    # answers 404: tests/plugins/marketing/test_mail_unsubscribe.py)
    "/m/u/<token>": "a signed unsubscribe link, no record id",
    # an event's public registration page by its random key, a registrant's ticket behind a
    # signed link (a forged token answers 404: tests/plugins/marketing/test_events.py)
    "/m/events/<key>": "a public registration page, the same for everyone",
    "/m/events/ticket/<token>": "a signed ticket link, no record id",
    # the ERP bridge: connections are the administrator's settings, not a department's
    # records; the inbound webhook is signed by the sender (tests/plugins/erp_bridge)
    "/erp/connections/<connection>": "an administrator's ERP connection, by its name",
    "/erp/connections/<connection>/check": "an administrator's ERP connection, by its name",
    "/erp/connections/<connection>/hold": "an administrator's ERP connection, by its name",
    "/erp/connections/<connection>/release": "an administrator's ERP connection, by its name",
    "/erp/webhooks/<connection>": "a signed inbound webhook, no record id",
    "/erp/sync/<obj>": "an object kind of the ERP sync settings, no record id",
    "/erp/sync/<obj>/reset": "an object kind of the ERP sync settings, no record id",
    # a vendor's callback by connection name: signed requests only, one refusal for all
    "/oa/callback/<name>": "the OA bridge's callback URL, no record id",
    # sign in with an OA, by connection name: the OA's code and a one-time state only
    "/oa/signin/<name>": "the OA bridge's sign-in start, no record id",
    "/oa/signin/<name>/done": "the OA bridge's sign-in return, no record id",
}
#: Variables whose value depends on the route (else the variable name picks the record).
BY_RULE = {
    ("/audit/record/<model>/<record_id>", "model"): lambda ids: "customers_customer",
    ("/audit/record/<model>/<record_id>", "record_id"): lambda ids: ids["customer_id"],
    # the attachments panel of a record: the kind and the record's id
    # an ERP connection (an administrator's setting): any name, the viewer is refused first
    ("/erp/connections/<connection>", "connection"): lambda ids: "odoo",
    ("/erp/connections/<connection>/check", "connection"): lambda ids: "odoo",
    ("/erp/connections/<connection>/hold", "connection"): lambda ids: "odoo",
    ("/erp/connections/<connection>/release", "connection"): lambda ids: "odoo",
    ("/erp/sync/<obj>/reset", "obj"): lambda ids: "customers",
    ("/erp/sync/<obj>", "obj"): lambda ids: "customers",
    # an event's registrants as a file: the format
    ("/marketing/campaigns/<int:campaign_id>/registrations.<fmt>", "fmt"): lambda ids: "csv",
    # a refused ERP record's mapping row (an administrator's, not a department's): any id
    ("/erp/sync/log/<int:mapping_id>/replay", "mapping_id"): lambda ids: 1,
    ("/attachments/<kind>/<int:record_id>", "kind"): lambda ids: "customers.customer",
    ("/attachments/<kind>/<int:record_id>", "record_id"): lambda ids: ids["customer_id"],
    # a masked value's reveal button (crm_core.sensitive): a customer's first phone
    ("/sensitive/<kind>/<int:record_id>/<field>/reveal", "kind"):
        lambda ids: "customers.customer",
    ("/sensitive/<kind>/<int:record_id>/<field>/reveal", "record_id"):
        lambda ids: ids["customer_id"],
    ("/sensitive/<kind>/<int:record_id>/<field>/reveal", "field"): lambda ids: "phones",
    # the kernel's import wizard: a spec a built-in plugin declares, an import of a user
    **{(f"/imports/<spec_id>{tail}", "spec_id"): (lambda ids: "customers.tag")
       for tail in ("/", "/new", "/export", "/<int:import_id>", "/<int:import_id>/run",
                    "/<int:import_id>/bad-rows.csv", "/<int:import_id>/undo",
                    "/<int:import_id>/reset", "/<int:import_id>/sheet")},
    **{(f"/imports/<spec_id>/<int:import_id>{tail}", "import_id"):
       (lambda ids: ids["tabular_import_id"])
       for tail in ("", "/run", "/bad-rows.csv", "/undo", "/reset", "/sheet")},
}
#: Pages that list entries about a record and may answer 200 with none of West's entries.
FILTERED = {"/audit/record/<model>/<record_id>"}
#: Where customers and what hangs on them (contacts, contact records, attachments) are read.
#: A role whose data scope for ``customers.customer`` is "all" reads them everywhere by
#: design (the service agent: a caller may be anyone's customer); every other record stays
#: 404 for it.
CUSTOMER_PATHS = ("/customers", "/api/v1/customers", "/attachments", "/api/v1/attachments")
#: West's customer-kind texts (security_world): what such a role may read on any page (a
#: customer filter or picker, search hits); every other West text stays hidden from it.
CUSTOMER_TEXTS = (f"West Trading {WEST_MARKER}", f"west{WEST_MARKER.lower()}@example.com",
                  f"West Contact {WEST_MARKER}", f"West call notes {WEST_MARKER}",
                  f"West offer {WEST_MARKER}.txt")  # the customer's attachment


def _beyond_customers(body: str) -> str:
    """``body`` without West's customer-kind texts."""
    for text in CUSTOMER_TEXTS:
        body = body.replace(text, "")
    return body
#: Writes that concern one's own session or account, open to every signed-in user.
OWN_ACCOUNT = {"core_auth.login", "core_auth.logout", "core_ui.switch_language",
               "core_auth.change_password", "core_account.preferences",
               # one's own notifications and their settings (another's id answers 404)
               "core_notifications.mark_one_read", "core_notifications.mark_everything_read",
               "core_notifications.preferences", "core_notifications.mark_read_api",
               "core_notifications.mark_all_read_api"}
#: Writes anyone may make without signing in (the public service request form).
PUBLIC_WRITES = {"erp_bridge_webhooks.receive",  # signed by the sender, no session
                 "service_public.default_form", "service_public.company_form",
                 "service_surveys.survey",  # and the customer's answer to a survey link
                 "oa_bridge_callbacks.callback",  # an OA vendor's signed callback
                 "marketing_event_public.register_page",  # an event's registration form
                 "marketing_unsubscribe.unsubscribe_post"}  # a mail's signed unsubscribe link
#: POSTs that only read (the body is a query): a viewer may send them.
POST_READS = {"analytics_api.query",  # analytics' figures, within the reader's data scope
              "marketing_mail_pages.preview"}  # a campaign mail's preview (renders only)
SKIPPED = {"HEAD", "OPTIONS"}


def routes(app: Any, methods: set[str]) -> list[tuple[Any, str]]:
    """(rule, method) of every route answering one of ``methods``, static files apart."""
    found = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue
        found += [(rule, method) for method in sorted(rule.methods - SKIPPED)
                  if method in methods]
    return found


def url_for_records(rule: Any, ids: dict[str, Any]) -> str:
    """The rule's URL with each variable set to the record of ``ids`` it names."""
    values = {}
    for variable in rule.arguments:
        chooser = BY_RULE.get((rule.rule, variable))
        if chooser is None and variable not in ids:
            pytest.fail(f"add the record kind for {rule.rule} (variable {variable!r}) to the "
                        "security walk's world (tests/security/conftest.py)")
        values[variable] = chooser(ids) if chooser else ids[variable]
    return rule.build(values, append_unknown=False)[1]


def permissions_of(world: World, name: str) -> frozenset[str]:
    from crm_core.db import get_session
    from crm_core.rbac.service import user_permission_names

    with world.app.app_context():
        return user_permission_names(get_session(), world.users[name].id)


def sees_every_customer(world: World, name: str) -> bool:
    """Whether the user's data scope for customers is "all" (by their role)."""
    from crm_core.db import get_session
    from crm_core.toolkit import user_scope

    with world.app.app_context():
        user = get_session().get(type(world.users[name]), world.users[name].id)
        return user_scope(user, "customers.customer") == "all"


def text_of(response: Any) -> str:
    """The body as text to search for leaks; a binary answer (a pixel, a workbook) too."""
    return response.get_data().decode("utf-8", "replace")


def may_use(app: Any, endpoint: str, granted: frozenset[str]) -> bool:
    """Whether a user with ``granted`` passes the route's permission guard."""
    permission = route_permission(app, endpoint)
    return permission in ("public", "authenticated") or permission in granted


def header_problems(response: Any) -> list[str]:
    """What the answer lacks of the security headers of issue 8, item 20."""
    headers, problems = response.headers, []
    csp = headers.get("Content-Security-Policy", "")
    directives = {part.split()[0].lower(): part.split()[1:]
                  for part in csp.split(";") if part.strip()}
    scripts = directives.get("script-src", directives.get("default-src"))
    if scripts is None:
        problems.append("no Content-Security-Policy for scripts")
    elif "'unsafe-inline'" in scripts:
        problems.append("the CSP allows 'unsafe-inline' scripts")
    if headers.get("X-Content-Type-Options", "").lower() != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if headers.get("Referrer-Policy", "").lower() != "same-origin":
        problems.append(f"Referrer-Policy is {headers.get('Referrer-Policy')!r}")
    if (headers.get("X-Frame-Options", "").upper() != "DENY"
            and "frame-ancestors" not in directives):
        problems.append("neither X-Frame-Options: DENY nor CSP frame-ancestors")
    return problems


@pytest.fixture
def world(shared_world):
    return shared_world


@pytest.mark.parametrize("role", sorted(EAST_ROLES))
def test_east_users_get_404_for_every_west_record_by_id(world, role):
    granted = permissions_of(world, role)
    east = world.client(role)
    insiders = [world.client(name) for name in ("west", "admin", "super")]
    every_customer = sees_every_customer(world, role)
    failures = []
    for rule, _method in routes(world.app, {"GET"}):
        if not rule.arguments or rule.rule in NOT_RECORDS:
            continue
        url = url_for_records(rule, world.west)
        if all(who.get(url).status_code == 404 for who in insiders):
            failures.append(f"{url}: not even West's owner or a superuser reaches it (fixture?)")
            continue
        response = east.get(url)
        allowed = {404} if may_use(world.app, rule.endpoint, granted) else {403, 404}
        body = text_of(response)
        if rule.rule in FILTERED and response.status_code == 200:
            allowed.add(200)
        if set(rule.arguments) <= SHARED_RECORDS and may_use(world.app, rule.endpoint, granted):
            allowed.add(200)
        if every_customer and rule.rule.startswith(CUSTOMER_PATHS):
            allowed.update((200, 400))  # read by design (a missing query argument: 400)
            body = _beyond_customers(body)  # but nothing else of West's on those pages
        if response.status_code not in allowed:
            failures.append(f"GET {url} as East {role}: {response.status_code}, "
                            f"expected {sorted(allowed)}")
        elif WEST_MARKER in body:
            failures.append(f"GET {url} as East {role}: shows West's record")
    assert failures == [], "\n".join(failures)


#: GET pages whose query string reaches records by id or text (the operation log's filters,
#: the searches): none may show West's records to an East user.
QUERY_PROBES = [
    "/audit?user={user_id}", "/audit?model=customers_customer",
    "/audit?model=customers_contact_record", "/audit?model=customers_contact",
    "/audit?q=West", "/search?q=Trading", "/search?q=West", "/search/suggest?q=Trading",
    "/search/suggest?q=Contact", "/api/v1/search?q=Trading", "/customers/?q=Trading",
    "/customers/?q=West", "/customers/?owner_id={user_id}", "/customers/?segment={segment_id}",
    "/customers/count?owner_id={user_id}", "/customers/count?segment={segment_id}",
    "/customers/duplicates/check?name=West+Trading", "/api/v1/customers?q=Trading",
    "/customers/duplicates/check?phone=13812345678", "/api/v1/customers?owner_id={user_id}",
    "/customers/contacts?q=West", "/customers/contacts?customer_id={customer_id}",
    "/customers/contacts/choices?field=customer_id&q=West",
    "/api/v1/customers/contacts?q=Contact", "/customers/contacts/new?customer_id={customer_id}",
    # the service queues, searched and filtered by West's customer and team
    "/service/tickets?q=West", "/api/v1/service/tickets?q=West",
    "/service/requests?customer_id={customer_id}",
    "/api/v1/service/requests?customer_id={customer_id}&q=West",
    "/service/tickets/new?request_id={request_id}",
]


@pytest.mark.parametrize("role", sorted(EAST_ROLES))
def test_no_list_search_or_log_shows_west_records_to_east_users(world, role):
    east, admin = world.client(role), world.client("admin")
    every_customer = sees_every_customer(world, role)
    failures = []
    shown = _beyond_customers if every_customer else (lambda body: body)
    for template in QUERY_PROBES:
        url = template.format(**world.west)
        response = east.get(url)
        if WEST_MARKER in shown(response.get_data(as_text=True)):
            failures.append(f"GET {url} as East {role}: shows West's {WEST_MARKER}")
    for rule, _method in routes(world.app, {"GET"}):
        if rule.arguments:
            continue
        response = east.get(rule.rule)
        if WEST_MARKER in shown(response.get_data(as_text=True)):
            failures.append(f"GET {rule.rule} as East {role}: shows West's {WEST_MARKER}")
    # the probes can see West's records at all: the administrator finds them
    assert WEST_MARKER in admin.get("/audit?model=customers_customer").get_data(as_text=True)
    assert WEST_MARKER in admin.get("/customers/").get_data(as_text=True)
    assert failures == [], "\n".join(failures)


def test_a_viewer_is_refused_every_write_with_403(make_world):
    world = make_world()  # its own: a write let through must not change the others' world
    viewer = world.client("viewer")
    token = csrf_from(viewer.get("/").get_data(as_text=True))
    assert token, "the viewer's dashboard has no CSRF token"
    failures = []
    for rule, method in routes(world.app, {"POST", "PUT", "PATCH", "DELETE"}):
        if rule.endpoint in OWN_ACCOUNT or rule.endpoint in PUBLIC_WRITES \
                or rule.endpoint in POST_READS:
            continue
        # a Resource list's saved views: the user's own (marked by the kernel)
        if getattr(world.app.view_functions[rule.endpoint], "crm_own_data", False):
            continue
        url = url_for_records(rule, world.east)
        if url.startswith("/api/"):
            response = viewer.open(url, method=method, json={},
                                   headers={"X-CSRFToken": token})
        else:
            response = viewer.open(url, method=method, data={"csrf_token": token})
        if response.status_code != 403:
            failures.append(f"{method} {url} as viewer: {response.status_code}, expected 403 "
                            f"(route permission {route_permission(world.app, rule.endpoint)})")
    assert failures == [], "\n".join(failures)


def test_a_viewer_refusal_is_the_permission_not_the_csrf_check(world):
    viewer = world.client("viewer")
    response = viewer.post(f"/customers/{world.east['customer_id']}/delete",
                           data={"csrf_token": "forged"})
    assert response.status_code == 400  # without a valid token it is the CSRF check


@pytest.mark.parametrize("who", ["admin", "sales", "viewer", "anonymous"])
def test_every_route_answers_with_the_security_headers(world, who):
    client = world.client(who)
    failures = []
    for rule, method in routes(world.app, {"GET", "POST", "PATCH", "DELETE"}):
        url = url_for_records(rule, world.east) if rule.rule not in NOT_RECORDS else (
            rule.build({a: "x" for a in rule.arguments}, append_unknown=False)[1])
        if method == "GET" or who in ("viewer", "anonymous"):  # the others' posts would write
            response = client.open(url, method=method)
            problems = header_problems(response)
            if problems:
                failures.append(f"{method} {url} as {who} ({response.status_code}): "
                                + "; ".join(problems))
            body = text_of(response)
            if response.status_code >= 500 or leaks(body):
                failures.append(f"{method} {url} as {who}: {response.status_code} "
                                f"{leaks(body) or ''}")
    assert failures == [], "\n".join(failures)


def test_the_error_pages_carry_the_security_headers_too(world):
    client = world.client("admin")
    for response in (client.get("/no/such/page"), client.get("/api/v1/no-such-thing"),
                     world.client("anonymous").get("/api/v1/me")):
        assert header_problems(response) == [], response.request.path
