"""Service requests: the Resource and their rules (the first ticket comes with a request)."""
