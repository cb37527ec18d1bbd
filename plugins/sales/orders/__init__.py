"""Sales orders: the rules (``services``), pages (``resource``, ``views``) and API (``api``)."""
