"""The process-level instruments: request latency and failed sign-ins."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

#: seconds from the first before_request to the response, by endpoint name (bounded: one
#: per route), method and status class
REQUEST_SECONDS = Histogram(
    "crm_request_seconds", "Time to answer a request, by endpoint.",
    ("endpoint", "method", "status"),
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))

FAILED_SIGN_INS = Counter("crm_failed_sign_ins", "Sign-ins refused (wrong password, locked "
                          "out, unknown user).")
