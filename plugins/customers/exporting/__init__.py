"""Exporting customers (CSV/XLSX) as a background job."""
