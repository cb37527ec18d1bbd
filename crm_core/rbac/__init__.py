"""Roles, permissions, departments and data scope."""
