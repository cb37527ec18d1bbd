"""The customers REST API and its schemas."""
