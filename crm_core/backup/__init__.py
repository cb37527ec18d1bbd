"""Backup and restore of a whole instance in one file (``crm backup …``; docs/OPERATIONS.md).

A backup is a tar holding the database (SQLite's online backup, or ``pg_dump -Fc``), the
instance's files (attachments and job results) and a manifest: plugin versions, migration
heads, row counts and a SHA-256 of every member. With ``CRM_BACKUP_KEY`` (an age identity,
``crm backup key``) the tar is encrypted to it (the age format: ``age -d`` opens it too).
"""
