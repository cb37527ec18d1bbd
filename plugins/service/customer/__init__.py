"""What the service plugin adds to the customer 360° page."""
