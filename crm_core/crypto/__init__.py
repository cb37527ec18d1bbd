"""Encryption at rest: the key ring (``keyring.py``), encrypted columns with blind indexes
(``types.py``, ``cipher.py``), encrypted attachment streams (``streams.py``) and key
rotation as a job (``rotation.py``, ``crm keys``). docs/OPERATIONS.md, "Encryption at rest".
"""
