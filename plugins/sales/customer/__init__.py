"""What sales adds to a customer: the total transaction amount kept from confirmed orders,
the 360° page's panels and timeline entries, and moving sales records on a merge."""
