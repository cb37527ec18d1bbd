"""The maintained aggregates the forecast and the widgets read: kept by sales' events in the
user's unit of work (``listeners``), rebuilt from the records on demand (``rebuild``)."""
