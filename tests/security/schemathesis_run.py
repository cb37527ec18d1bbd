"""The schemathesis run of the security tests (no tests here; see ``test_schemathesis.py``
for what it checks and how deep): an administrator's and an East sales rep's API tokens
against the whole OpenAPI document, in-process, tallying failures by role and operation."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import HypothesisException
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.errors import InvalidSchema
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.result import Ok
from schemathesis.generation.drivers import CoverageGenerator
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.generation.overrides import Override
from schemathesis.specs.openapi.checks import response_schema_conformance
from security_world import SHARED_RECORDS, WEST_MARKER, World, leaks

from crm_core.api.openapi import API_PREFIX, openapi_path
from crm_core.auth.permissions import route_permission
from crm_core.resources.registration import resources

EXAMPLES = 5
#: Generated cases per mode and id set for a Resource's generated endpoint (see above).
SHALLOW_EXAMPLES = 2
#: The API blueprint fuzzed at full depth for every Resource's generated endpoints.
REFERENCE_RESOURCE = "example_notes_api"
CHECKS = [not_a_server_error, response_schema_conformance]
OPENAPI_URL = f"{API_PREFIX}/openapi.json"
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)


@dataclass
class Tally:
    """Cases run and distinct failures (first reproduction of each) of one run."""

    operations: int = 0
    cases: Counter = field(default_factory=Counter)
    failures: dict[tuple[str, str, str], str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    probed: set[tuple[str, str]] = field(default_factory=set)
    exercised: set[str] = field(default_factory=set)
    declared: set[str] = field(default_factory=set)

    def fail(self, role: str, operation: str, title: str, response: Any) -> None:
        key = (role, operation, title)
        if key not in self.failures:
            request = response.request
            body = request.body.decode("utf-8", "replace") if isinstance(
                request.body, bytes) else str(request.body or "")
            answer = response.content[:300].decode("utf-8", "replace")
            self.failures[key] = (f"[{role}] {title}: {request.method} {request.url[:300]} "
                                  f"body={body[:300]!r} -> {response.status_code} {answer!r}")

    def invalid(self, operation: str, error: Exception) -> None:
        """The document declares ``operation`` in a way no client can follow."""
        message = " ".join(str(error).split())[:300]
        self.failures.setdefault(("document", operation, "invalid definition"),
                                 f"[document] {operation}: {message}")

    def summary(self) -> str:
        lines = [f"schemathesis: {self.operations} operations, "
                 f"{sum(self.cases.values())} cases ({dict(self.cases)}), "
                 f"{len(self.failures)} distinct failures, "
                 f"{len(self.skipped)} runs with nothing to generate"]
        lines += sorted(self.failures.values())
        lines += [f"not generated: {label}" for label in self.skipped]
        return "\n".join(lines)


def endpoints_by_operation(app: Any) -> dict[tuple[str, str], str]:
    """``{(METHOD, openapi path): endpoint}`` of every API route."""
    found = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(API_PREFIX):
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                found[(method, openapi_path(rule.rule)[0])] = rule.endpoint
    return found


def shallow_blueprints(app: Any) -> set[str]:
    """The API blueprints the kernel generated from a ``Resource``, but the reference's."""
    return {f"{resource.endpoint}_api" for _plugin, resource
            in resources(app.extensions["crm"].pm) if resource.api} - {REFERENCE_RESOURCE}


def real_path_parameters(world: World, ids: dict[str, Any]) -> dict[str, Any]:
    """Values of every path parameter the API declares, naming real records."""
    widget = next(iter(world.app.extensions["crm"].widgets), "none")
    return {**ids, "widget_id": widget}


def unauthorised(world: World, role: str, granted: frozenset[str], endpoint: str,
                 case: Any, response: Any) -> str | None:
    """Why the answer to ``role`` is one it should not have got, or None. OPTIONS answers
    which methods exist, with an empty body, to anyone (CORS preflights carry no
    credentials): it is not an access."""
    if not 200 <= response.status_code < 300 or role == "admin" or case.method == "OPTIONS":
        return None
    permission = route_permission(world.app, endpoint)
    if permission not in ("public", "authenticated") and permission not in granted:
        return f"accepted without the permission {permission}"
    west = [name for name, value in (case.path_parameters or {}).items()
            if name in world.west and str(world.west[name]) == str(value)
            and world.west[name] != world.east.get(name) and name not in SHARED_RECORDS]
    if west:
        return f"accepted for West's {', '.join(west)}"
    if WEST_MARKER in response.content.decode("utf-8", "replace"):
        return "shows West's records"
    return None


def shows_internals(response: Any) -> str | None:
    """A server path, traceback or raw database error in any answer."""
    leak = leaks(response.content.decode("utf-8", "replace"))
    return f"shows {leak!r}" if leak else None


def refused_without_a_valid_token(world: World, response: Any) -> str | None:
    """Why the same (accepted) request without a token, or with a made-up one, was not
    refused with a 401 problem (a 400 "CSRF token missing" is the wrong answer too)."""
    request = response.request
    split = urlsplit(request.url)
    for headers in ({}, {"Authorization": "Bearer crm_00000000_made-up"}):
        if request.headers.get("Content-Type"):
            headers["Content-Type"] = request.headers["Content-Type"]
        again = world.app.test_client().open(split.path, method=request.method,
                                             query_string=split.query, data=request.body,
                                             headers=headers)
        if again.status_code != 401 or again.content_type != "application/problem+json":
            return (f"accepted while unauthorised ({'made-up' if headers else 'no'} token): "
                    f"{again.status_code} {again.content_type}")
    return None


def check_case(world: World, case: Any, operation: Any, role: str, token: str, endpoint: str,
               granted: frozenset[str], tally: Tally) -> None:
    """Send one case as ``role`` and record what is wrong with the answer."""
    tally.cases[role] += 1
    tally.exercised.add(operation.label)
    response = case.call(headers={"Authorization": f"Bearer {token}"})
    try:
        case.validate_response(response, checks=CHECKS)
    except FailureGroup as group:
        for failure in group.exceptions:
            tally.fail(role, operation.label, failure.title, response)
    except Failure as failure:
        tally.fail(role, operation.label, failure.title, response)
    reason = unauthorised(world, role, granted, endpoint, case, response) or shows_internals(
        response)
    # OPTIONS answers which methods exist, to anyone (CORS preflights carry no credentials)
    if not reason and 200 <= response.status_code < 300 and case.method != "OPTIONS" and (
            route_permission(world.app, endpoint) != "public") and (
            role, operation.label) not in tally.probed:
        tally.probed.add((role, operation.label))
        reason = refused_without_a_valid_token(world, response)
    if reason:
        tally.fail(role, operation.label, reason, response)


def run_operation(world: World, operation: Any, role: str, token: str, endpoint: str,
                  granted: frozenset[str], tally: Tally, mode: GenerationMode,
                  path_parameters: dict[str, Any] | None, examples: int = EXAMPLES) -> None:
    try:
        strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)
    except InvalidSchema as exc:
        tally.invalid(operation.label, exc)
        return

    @settings(max_examples=examples, derandomize=True, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
              print_blob=False)
    @given(case=strategy)
    def run(case: Any) -> None:
        check_case(world, case, operation, role, token, endpoint, granted, tally)

    try:
        run()
    except InvalidSchema as exc:
        tally.invalid(operation.label, exc)
    except HypothesisException as exc:  # e.g. nothing left to negate in this operation
        tally.skipped.append(f"{role} {operation.label} {mode.value}: {type(exc).__name__}")


def coverage_cases(schema: Any, operation: Any) -> list[Any]:
    """schemathesis's coverage phase for ``operation``: boundary and invalid values of every
    parameter and body field (valid and invalid), deterministic."""
    generator = CoverageGenerator(
        operation=operation, generation_modes=list(MODES), auth_storage=None,
        generation_config=schema.config.generation_for(operation=operation, phase="coverage"),
        override=Override(), feedback=FeedbackSources())
    return list(generator)


def each_kind_once(cases: list[Any]) -> list[Any]:
    """Every valid case, and the first invalid case of each kind for each parameter and
    field ("contract_id: Incorrect type" once, not once per wrong JSON type)."""
    seen, kept = set(), []
    for case in cases:
        if case.meta.generation.mode is GenerationMode.NEGATIVE:
            data = case.meta.phase.data
            kind = (data.parameter_location, data.parameter, data.scenario, data.description)
            if kind in seen:
                continue
            seen.add(kind)
        kept.append(case)
    return kept


def run_coverage(world: World, schema: Any, operation: Any, role: str, token: str,
                 endpoint: str, granted: frozenset[str], tally: Tally,
                 shallow: bool = False) -> None:
    try:
        cases = coverage_cases(schema, operation)
    except InvalidSchema as exc:
        tally.invalid(operation.label, exc)
        return
    if shallow:
        cases = each_kind_once(cases)
    for case in cases:
        check_case(world, case, operation, role, token, endpoint, granted, tally)


def order(operation: Any) -> tuple[int, str]:
    # Deletes last (they remove the records the other operations use), tokens last of all.
    return (operation.method.upper() == "DELETE") + ("/tokens" in operation.path), operation.label


def run_schemathesis(world: World, every_operation_shallow: bool = False) -> Tally:
    """Run every operation as the sales rep, then as the administrator, at the depth the
    module docstring of ``test_schemathesis`` gives; ``every_operation_shallow`` gives every
    operation the depth of a Resource's generated one (the run on a second database)."""
    from crm_core.db import get_session
    from crm_core.rbac.service import user_permission_names

    tokens = {role: world.token(role) for role in ("sales", "admin")}
    schema = schemathesis.openapi.from_wsgi(
        OPENAPI_URL, world.app, headers={"Authorization": f"Bearer {tokens['admin']}"})
    results = list(schema.get_all_operations())
    operations = sorted((result.ok() for result in results if isinstance(result, Ok)),
                        key=order)
    endpoints = endpoints_by_operation(world.app)
    generated = shallow_blueprints(world.app)
    tally = Tally(operations=len(results), declared={op.label for op in operations})
    for result in results:
        if not isinstance(result, Ok):  # an operation the document declares unusably
            tally.invalid(result.err().label or "?", result.err())
    for role in ("sales", "admin"):  # the sales rep first: the admin's deletes come after
        with world.app.app_context():
            granted = user_permission_names(get_session(), world.users[role].id)
        id_sets = [None, real_path_parameters(world, world.east)]
        if role == "sales":
            id_sets.append(real_path_parameters(world, world.west))
        for operation in operations:
            endpoint = endpoints[(operation.method.upper(), operation.path)]
            shallow = every_operation_shallow or endpoint.split(".")[0] in generated
            if role == "admin":  # input validation is the same code for every caller
                run_coverage(world, schema, operation, role, tokens[role], endpoint, granted,
                             tally, shallow)
            declared = {p.name for p in operation.path_parameters}
            for ids in id_sets:
                if ids is not None and not declared:
                    continue
                fixed = None if ids is None else {name: ids[name] for name in declared}
                for mode in MODES:
                    if fixed is not None and mode is GenerationMode.NEGATIVE and \
                            operation.method.upper() in ("GET", "DELETE"):
                        continue  # only the path would be negated, and it is fixed
                    if shallow and role != "admin" and mode is GenerationMode.NEGATIVE:
                        continue  # the sales rep's shallow runs check access, with valid cases
                    run_operation(world, operation, role, tokens[role], endpoint, granted,
                                  tally, mode, fixed,
                                  SHALLOW_EXAMPLES if shallow else EXAMPLES)
    return tally


def check_tally(world: World, tally: Tally, database: str, record_property, capsys) -> None:
    """Print and record the run's figures, then assert it reached every operation and
    found nothing."""
    with capsys.disabled():  # the figures show in a plain `pytest` run
        print("\n" + tally.summary().splitlines()[0] + f" [{database}]")
    record_property("schemathesis", json.dumps({
        "database": database, "operations": tally.operations,
        "cases": sum(tally.cases.values()), "failures": len(tally.failures)}))
    assert tally.cases["sales"] > 0 and tally.cases["admin"] > 0
    assert tally.declared - tally.exercised == set(), "operations no case reached"
    assert REFERENCE_RESOURCE in {endpoint.split(".")[0] for endpoint in
                                  endpoints_by_operation(world.app).values()}
    assert tally.failures == {}, tally.summary()
