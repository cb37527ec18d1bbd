"""A customer's own record: its fields and rules, reads and filters, owner and department,
follow-ups, the form and the 360° page."""
