"""Quotes: offers to a customer with lines, a validity date and a print page; an accepted
quote becomes an order."""
