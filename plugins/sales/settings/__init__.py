"""Sales settings: the company letterhead, number series, validity and reminder days."""
