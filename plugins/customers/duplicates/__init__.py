"""Finding likely duplicate customers and merging them."""
