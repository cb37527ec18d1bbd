"""Segments: saved list filters, own or shared."""
