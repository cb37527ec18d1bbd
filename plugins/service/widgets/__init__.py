"""The service dashboard widgets."""
