"""schemathesis over the whole OpenAPI document, in-process against the WSGI app: with an
administrator's and an East sales rep's API tokens, no generated request answers a server
error, every answer matches its documented schema, and nothing is accepted while unauthorised
(no token, a sales rep writing without the permission, or reading West's records).

Bounded and deterministic: schemathesis's coverage phase (boundary and invalid values of
every parameter and field) as the administrator, then ``EXAMPLES`` generated cases per
operation, role, generation mode (valid, invalid) and path parameters, with a fixed seed
(``derandomize``). The sales rep skips the coverage phase: an endpoint validates its input
with the same code for every caller, and the rep's generated cases (invalid ones included)
still reach each operation with and without the permission and scope (it was 14 of the
run's 68 seconds; ``EXAMPLES`` went from 10 to 7, then to 5 when marketing and analytics
added 60 operations, for the same reason: the suite's budget).
Each operation runs with generated path parameters, then with the ids of real records
(East's, so writes reach the database; for the sales rep also West's, which must stay
hidden). The figures (operations, cases, failures) are printed and recorded as the test's
``schemathesis`` property (``--junitxml``).

Depth scales with what is new code. Hand-written endpoints and the example plugin's notes
resource (``REFERENCE_RESOURCE``) get all of the above. The other endpoints the kernel
generates from a ``Resource`` share that one implementation; they differ in their fields
and in their permissions and data scope, so each gets (``shallow``): the administrator's
coverage phase with every valid boundary value (they reach the database) and each kind of
invalid value once per field, and ``SHALLOW_EXAMPLES`` generated cases per mode and id set
(the sales rep: valid ones, with East's and West's ids). Every check stays as strict.

This module runs on SQLite; ``test_schemathesis_postgres.py`` runs again on PostgreSQL
with every operation at the shallow depth (its own module, so that the two runs share the
test processes).
"""

from __future__ import annotations

import pytest
from schemathesis_run import check_tally, run_schemathesis
from security_world import LONG_RUN


@pytest.mark.timeout(LONG_RUN)
def test_schemathesis_finds_no_server_error_schema_violation_or_unauthorised_access(
        make_world, record_property, capsys):
    world = make_world("sqlite")
    check_tally(world, run_schemathesis(world), "sqlite", record_property, capsys)
