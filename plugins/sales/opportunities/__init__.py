"""Opportunities: the records, their stage changes and history, bulk changes and the API."""
