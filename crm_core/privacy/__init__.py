"""Personal data requests (PIPL): export and erasure of one person across every plugin."""
