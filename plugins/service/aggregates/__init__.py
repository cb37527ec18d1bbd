"""The kept aggregates the service widgets read: kept by an ORM flush hook in the unit of
work of every ticket change (``tickets``), rebuilt from the tickets on demand (``rebuild``)."""
