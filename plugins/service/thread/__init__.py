"""A ticket's conversation: replies to the customer and internal notes."""
