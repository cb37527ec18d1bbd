"""Attachments: files stored on any record (``toolkit.attachments``).

A record kind opts in with the ``crm_attachment_kinds`` hook (``kinds.py``). The bytes live
under the instance folder, once per content hash (``storage.py``); their type is sniffed and
dangerous files are refused (``sniff.py``); rows, uploads and deletes are in ``service.py``;
the API (``api.py``) and the record pages' panel (``views.py``) check the record's
permission and data scope on every path.
"""
