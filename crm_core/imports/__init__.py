"""Imports and exports of any plugin's records, declared with an ``ImportSpec``.

A plugin returns specs from ``crm_import_specs``; the kernel mounts the wizard
(``/imports/<spec id>/``), runs the jobs (read, check, run, undo), offers the command line
(``toolkit.import_command``) and writes batches through ``bulk_write``. File reading and
writing is ``crm_core.tabular``'s.
"""
