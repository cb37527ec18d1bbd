"""Pipelines and their ordered stages: the administrator's settings of the sales process."""
