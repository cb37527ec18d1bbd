"""The kanban: one column per stage of a pipeline, cards loaded lazily, moved by drag or key."""
