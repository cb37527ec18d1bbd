"""Approvals as a kernel service: definitions (admin pages), requests from plugins, steps
decided in the web UI, by the API, or by a provider plugin (an OA system).

Rooms: ``models`` (tables), ``types`` (what plugins declare), ``definitions`` (the admin's
rules), ``service`` (request, decide, withdraw, close), ``queries`` (who sees what),
``events`` (hooks and notifications), ``reminders`` (the beat task), ``forms``, ``views``,
``admin`` (definition pages), ``schemas`` and ``api``.
"""
