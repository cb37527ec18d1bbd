"""schemathesis on PostgreSQL (see ``test_schemathesis.py``): where out-of-range numbers, NUL
bytes and odd text reach a stricter database. Every operation gets the depth of a Resource's
generated one: the administrator's coverage phase with every valid boundary value and each
kind of invalid value once per field, a few generated cases per mode, and the sales rep's
valid cases with East's and West's ids (the data scope's SQL on this dialect). The deeper
runs of the hand-written endpoints' own logic are the SQLite module's: that code does not
change with the database.
"""

from __future__ import annotations

import pytest
from schemathesis_run import check_tally, run_schemathesis
from security_world import LONG_RUN


@pytest.mark.timeout(LONG_RUN)
@pytest.mark.postgres
def test_schemathesis_on_postgresql_finds_no_server_error_or_unauthorised_access(
        make_world, record_property, capsys):
    world = make_world("postgresql")
    tally = run_schemathesis(world, every_operation_shallow=True)
    check_tally(world, tally, "postgresql", record_property, capsys)
