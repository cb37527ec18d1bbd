"""The operation log: every write and security event, append-only, hash-chained."""
