"""The REST API kit: tokens, errors, pagination, schemas, OpenAPI, rate limits."""
