"""Tickets: the Resource, their rules (numbers, due times, states) and the state API."""
