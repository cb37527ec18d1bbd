"""The project's tests use the fixtures of ``crm_core.testing`` (a pytest11 plugin)."""
