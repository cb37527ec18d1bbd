"""The sales dashboard widgets, each reading the maintained aggregates."""
