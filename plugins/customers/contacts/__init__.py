"""A customer's people and the records of contact with them."""
