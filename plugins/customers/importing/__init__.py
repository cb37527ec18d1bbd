"""Importing customers and tags through the kernel's tabular import framework."""
